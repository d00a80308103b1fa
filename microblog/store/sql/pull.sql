-- The pull strategy's queries: post ids of one feed page, computed from posts and follows.
-- {order} is ASC or DESC (composed by the caller, never from input); every value is a
-- parameter. Pages take ids strictly between %(above)s and %(below)s. Home pages keep only
-- what home_visible lets the reader see (sql/filters.sql); every strategy applies the
-- same condition to the same candidates, so their pages stay equal.

-- name: network_scan
-- Walk posts newest first and keep those by followed authors (and the reader, when
-- include_self): cheap when the reader follows many authors, because matches come soon.
SELECT p.id FROM posts p
WHERE p.id < %(below)s AND p.id > %(above)s
  AND ((%(include_self)s AND p.author_id = %(reader_id)s)
       OR EXISTS (SELECT 1 FROM follows f
                  WHERE f.follower_id = %(reader_id)s AND f.followed_id = p.author_id))
  AND {home_visible}
ORDER BY p.id {order}
LIMIT %(limit)s;

-- name: network_merge
-- Take each followed author's newest posts from (author_id, id) and merge them: cheap when
-- the reader follows few authors, however rarely they post.
SELECT p.id FROM (
    SELECT f.followed_id AS author_id FROM follows f WHERE f.follower_id = %(reader_id)s
    UNION ALL
    SELECT %(reader_id)s WHERE %(include_self)s
) a
CROSS JOIN LATERAL (
    SELECT p.id FROM posts p
    WHERE p.author_id = a.author_id AND p.id < %(below)s AND p.id > %(above)s
      AND {home_visible}
    ORDER BY p.id {order}
    LIMIT %(limit)s
) p
ORDER BY p.id {order}
LIMIT %(limit)s;

-- name: author
-- An account's own posts and boosts (its "mine" feed: the reader's own, all visible).
SELECT id FROM posts
WHERE author_id = %(author_id)s AND id < %(below)s AND id > %(above)s
ORDER BY id {order}
LIMIT %(limit)s;

-- name: public
-- Every public top-level post (no boosts, replies, unlisted, private or direct posts),
-- less the authors the reader (NULL: nobody) mutes, blocks or is blocked by.
SELECT p.id FROM posts p
WHERE p.parent_id IS NULL AND p.reblog_of_id IS NULL AND p.visibility = 'public'
  AND p.id < %(below)s AND p.id > %(above)s
  AND {unhidden}
ORDER BY p.id {order}
LIMIT %(limit)s;

-- name: has_hidden
-- Whether the reader mutes, blocks or is blocked by anyone (their All page is their own).
SELECT EXISTS (SELECT 1 FROM hidden_authors WHERE reader_id = %(reader_id)s) AS yes;
