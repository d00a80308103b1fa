-- Search: accounts by name prefix, posts by full text, hashtags by prefix, and the posts of
-- a hashtag. Every connection plans generically (db.py: force_generic_plan), and a LIKE
-- whose pattern is a parameter can use no prefix index in a generic plan: so each prefix
-- search states its range too, from low to high in byte order (store/search.py computes
-- it), which the text_pattern_ops indexes (users) and the "C" collated key (post_tags)
-- serve; the LIKE keeps the match exact.

-- name: accounts
-- Accounts whose username, or display name, starts with the prefix (both lower-cased):
-- the exact username first, then the most followed; only those the reader follows when
-- %(following)s.
SELECT u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM users u
WHERE ((lower(u.username) ~>=~ %(low)s::text AND lower(u.username) ~<~ %(high)s::text
        AND lower(u.username) LIKE %(pattern)s::text)
       OR (u.display_name <> ''
           AND lower(u.display_name) ~>=~ %(low)s::text
           AND lower(u.display_name) ~<~ %(high)s::text
           AND lower(u.display_name) LIKE %(pattern)s::text))
  AND (NOT %(following)s
       OR EXISTS (SELECT 1 FROM follows f
                  WHERE f.follower_id = %(reader_id)s AND f.followed_id = u.id))
ORDER BY lower(u.username) = %(exact)s DESC, u.followers_count DESC, u.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: account_named
-- One account by its exact username (any case), if the reader follows it when
-- %(following)s: what "@name" and "name@this-host" find.
SELECT u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM users u
WHERE lower(u.username) = %(exact)s
  AND (NOT %(following)s
       OR EXISTS (SELECT 1 FROM follows f
                  WHERE f.follower_id = %(reader_id)s AND f.followed_id = u.id));

-- name: statuses
-- Posts (not boosts) whose text matches a web-search query (the GIN index
-- posts_content_fts), newest first: only those the reader may see, none by an account the
-- reader mutes or blocks or is blocked by; only %(account_id)s's when given; only ids
-- between %(above)s and %(below)s (Mastodon's min_id and max_id).
-- "p.id + 0" hides the primary key from the planner on purpose: in a generic plan it can't
-- tell a rare word from a common one, and walking posts backwards from the newest, testing
-- each text, took a second per 300,000 posts for a word no post has. Through the GIN index
-- a search costs what it matches instead: 3 ms for none, 60 ms for 70,000 posts (measured
-- on 300,000 posts of a few words each).
SELECT p.id FROM posts p
WHERE to_tsvector('simple', p.content) @@ websearch_to_tsquery('simple', %(q)s)
  AND p.id + 0 < %(below)s AND p.id + 0 > %(above)s
  AND p.reblog_of_id IS NULL
  AND (%(account_id)s::bigint IS NULL OR p.author_id = %(account_id)s)
  AND {visible_to}
  AND {unhidden}
ORDER BY p.id + 0 DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: hashtags
-- Hashtags that start with the prefix, with how many public posts carry each (a tag only
-- private posts carry is theirs to keep: not found): the exact tag first, then the most
-- used.
SELECT t.tag, count(*) AS uses FROM post_tags t JOIN posts p ON p.id = t.post_id
WHERE t.tag >= %(low)s::text AND t.tag < %(high)s::text AND t.tag LIKE %(pattern)s::text
  AND p.visibility = 'public'
GROUP BY t.tag
ORDER BY t.tag = %(exact)s DESC, count(*) DESC, t.tag
LIMIT %(limit)s OFFSET %(offset)s;

-- name: hashtag_uses
-- How many public posts carry a hashtag.
SELECT count(*) AS uses FROM post_tags t JOIN posts p ON p.id = t.post_id
WHERE t.tag = %(tag)s AND p.visibility = 'public';

-- name: tag_timeline
-- The public posts carrying a hashtag, in the window, newest (or for min_id oldest) first,
-- walking the (tag, post_id) key: none by an account the reader mutes or blocks or is
-- blocked by; only those carrying every tag of %(all)s and none of %(none)s.
SELECT p.id FROM post_tags t JOIN posts p ON p.id = t.post_id
WHERE t.tag = %(tag)s AND t.post_id < %(below)s AND t.post_id > %(above)s
  AND p.visibility = 'public' AND p.reblog_of_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM unnest(%(all)s::text[]) AS a(tag)
                  WHERE NOT EXISTS (SELECT 1 FROM post_tags x
                                    WHERE x.tag = a.tag AND x.post_id = p.id))
  AND NOT EXISTS (SELECT 1 FROM post_tags x
                  WHERE x.tag = ANY(%(none)s::text[]) AND x.post_id = p.id)
  AND {unhidden}
ORDER BY t.post_id {order}
LIMIT %(limit)s;
