-- name: notify
SELECT pg_notify(%(channel)s, %(payload)s);

-- name: home_audience
-- Of the connected readers %(user_ids)s, those whose home feed shows each new post: its
-- author, and its author's followers (found first, from the follows index), then under the
-- home feed's own rules (sql/filters.sql, judged per reader: r.id stands for the reader),
-- which so run once per delivery rather than once per (post, connected reader).
WITH r (post_id, id) AS MATERIALIZED (
    SELECT p.id, p.author_id FROM posts p
    WHERE p.id = ANY(%(post_ids)s) AND p.author_id = ANY(%(user_ids)s)
    UNION ALL
    SELECT p.id, f.follower_id FROM posts p
    JOIN follows f ON f.followed_id = p.author_id
    WHERE p.id = ANY(%(post_ids)s) AND f.follower_id = ANY(%(user_ids)s)
)
SELECT r.post_id, r.id AS user_id
FROM r JOIN posts p ON p.id = r.post_id
WHERE {home_visible};

-- name: public_audience
-- Of the new posts, the public ones that are not boosts (the public and hashtag streams'
-- posts; the public stream takes the top-level ones, as pull.sql's public), each with its
-- hashtags and the connected readers of %(user_ids)s who do not hide its author.
SELECT p.id AS post_id, p.parent_id IS NULL AS top_level,
       ARRAY(SELECT t.tag FROM post_tags t WHERE t.post_id = p.id) AS tags,
       ARRAY(SELECT r.id FROM unnest(%(user_ids)s::bigint[]) AS r (id)
             WHERE {unhidden}) AS user_ids
FROM posts p
WHERE p.id = ANY(%(post_ids)s) AND p.reblog_of_id IS NULL AND p.visibility = 'public';

-- name: followers_among
-- Of the connected readers, the author and those following the author (a deletion's
-- audience: the post itself is gone).
SELECT r.id AS user_id FROM unnest(%(user_ids)s::bigint[]) AS r (id)
WHERE r.id = %(author_id)s
   OR EXISTS (SELECT 1 FROM follows f
              WHERE f.follower_id = r.id AND f.followed_id = %(author_id)s);
