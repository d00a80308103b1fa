-- Conditions on a post row aliased p that several queries share. A query names one in a
-- slot (home_visible, visible_to, unhidden); ``db.ordered`` fills it in. Each binds
-- the same parameter as its query: %(reader_id)s (NULL for nobody).

-- The hidden authors are read once per query: ARRAY(...) of the reader alone is an
-- InitPlan, so a row costs two comparisons with a short array, not six index probes (pull's
-- merge plan for 2,505 follows: 197 ms a page with the probes, 73 ms with the array).

-- name: home_visible
-- What a reader's home feed (timeline and following) shows of a post it holds: a direct
-- post only to the accounts it mentions; nothing by, or boosted from, an account the reader
-- mutes or blocks or is blocked by; no boost of the reader's own post by someone else.
(p.visibility <> 'direct' OR p.author_id = %(reader_id)s
 OR EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id AND m.user_id = %(reader_id)s))
AND p.author_id <> ALL (ARRAY(SELECT h.author_id FROM hidden_authors h
                              WHERE h.reader_id = %(reader_id)s))
AND (p.reblog_author_id IS NULL
     OR (p.reblog_author_id <> ALL (ARRAY(SELECT h.author_id FROM hidden_authors h
                                          WHERE h.reader_id = %(reader_id)s))
         AND (p.author_id = %(reader_id)s OR p.reblog_author_id <> %(reader_id)s)))

-- name: unhidden
-- Not by (or boosted from) an account the reader mutes, blocks or is blocked by.
p.author_id <> ALL (ARRAY(SELECT h.author_id FROM hidden_authors h
                          WHERE h.reader_id = %(reader_id)s))
AND (p.reblog_author_id IS NULL
     OR p.reblog_author_id <> ALL (ARRAY(SELECT h.author_id FROM hidden_authors h
                                         WHERE h.reader_id = %(reader_id)s)))

-- name: visible_to
-- Who may see a post at all (its page, a profile, a thread, the API's fetch): its author;
-- anyone for public and unlisted posts; followers of the author for private ones; the
-- accounts it mentions for private and direct ones; never across a block either way.
(p.author_id = %(reader_id)s
 OR (NOT EXISTS (SELECT 1 FROM blocks b
                 WHERE (b.user_id = %(reader_id)s
                        AND b.target_id IN (p.author_id, p.reblog_author_id))
                    OR (b.target_id = %(reader_id)s
                        AND b.user_id IN (p.author_id, p.reblog_author_id)))
     AND (p.visibility IN ('public', 'unlisted')
          OR EXISTS (SELECT 1 FROM mentions m
                     WHERE m.post_id = p.id AND m.user_id = %(reader_id)s)
          OR (p.visibility = 'private'
              AND EXISTS (SELECT 1 FROM follows f
                          WHERE f.follower_id = %(reader_id)s
                            AND f.followed_id = p.author_id)))))
