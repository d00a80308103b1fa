-- name: create_post
INSERT INTO posts (author_id, content, parent_id, visibility, spoiler_text, sensitive)
VALUES (%(author_id)s, %(content)s, %(parent_id)s, %(visibility)s, %(spoiler_text)s,
        %(sensitive)s)
RETURNING id;

-- name: add_tags
-- A new post's hashtags (names as stored: normalised, lower case).
INSERT INTO post_tags (tag, post_id)
SELECT unnest(%(tags)s::text[]), %(post_id)s
ON CONFLICT DO NOTHING;

-- name: forget_stale_idempotency_keys
-- An account's Idempotency-Keys older than an hour: they name no post any more.
DELETE FROM idempotency_keys
WHERE user_id = %(user_id)s AND created_at < now() - interval '1 hour';

-- name: idempotent_post
-- The post an account's Idempotency-Key of the last hour made.
SELECT post_id FROM idempotency_keys
WHERE user_id = %(user_id)s AND key = %(key)s AND created_at >= now() - interval '1 hour';

-- name: claim_idempotency_key
-- The key for a new post; no row when the key is taken already (a concurrent request with
-- it waits here for the other's transaction, then finds it taken, or free if it aborted).
INSERT INTO idempotency_keys (user_id, key, post_id)
VALUES (%(user_id)s, %(key)s, %(post_id)s)
ON CONFLICT DO NOTHING
RETURNING post_id;

-- name: create_boost
-- A boost: a post of the booster's, without text, carrying the boosted post; it takes the
-- boosted post's visibility (public or unlisted). None when the account boosted it already.
INSERT INTO posts (author_id, content, reblog_of_id, reblog_author_id, visibility)
SELECT %(author_id)s, '', o.id, o.author_id, o.visibility FROM posts o WHERE o.id = %(post_id)s
ON CONFLICT DO NOTHING
RETURNING id;

-- name: boost_by
-- An account's boost of a post.
SELECT id FROM posts WHERE reblog_of_id = %(post_id)s AND author_id = %(author_id)s;

-- name: boosts_of
-- Every boost of a post, with its booster.
SELECT id, author_id FROM posts WHERE reblog_of_id = %(post_id)s ORDER BY id;

-- name: boosts_of_author
-- Every boost by others of an account's posts (they go when the account does).
SELECT b.id, b.author_id FROM posts b
WHERE b.reblog_author_id = %(author_id)s AND b.reblog_of_id IS NOT NULL
  AND b.author_id <> %(author_id)s
ORDER BY b.id;

-- name: reblogs_among
-- Which of these ids are boosts, of what, and whether a reader's home feed may hold the
-- boosted post twice (feeds/falloff.py looks below only those): the boosted post, or an
-- older boost of it, is by the reader or by an account the reader follows.
SELECT b.id, b.reblog_of_id,
       EXISTS (SELECT 1 FROM posts o
               WHERE o.id = b.reblog_of_id
                 AND (o.author_id = %(reader_id)s
                      OR EXISTS (SELECT 1 FROM follows f
                                 WHERE f.follower_id = %(reader_id)s
                                   AND f.followed_id = o.author_id)))
       OR EXISTS (SELECT 1 FROM posts o
                  WHERE o.reblog_of_id = b.reblog_of_id AND o.id < b.id
                    AND (o.author_id = %(reader_id)s
                         OR EXISTS (SELECT 1 FROM follows f
                                    WHERE f.follower_id = %(reader_id)s
                                      AND f.followed_id = o.author_id))) AS suspect
FROM posts b
WHERE b.id = ANY(%(ids)s) AND b.reblog_of_id IS NOT NULL;

-- name: add_mentions
INSERT INTO mentions (post_id, user_id)
SELECT %(post_id)s, unnest(%(user_ids)s::bigint[])
ON CONFLICT DO NOTHING;

-- name: visible_post
-- A post the reader may see (visible_to, sql/filters.sql), in a few columns.
SELECT p.id, p.author_id, p.visibility, p.reblog_of_id, p.parent_id FROM posts p
WHERE p.id = %(id)s AND {visible_to};

-- name: post_author
SELECT author_id, parent_id FROM posts WHERE id = %(id)s;

-- name: delete_post
DELETE FROM posts WHERE id = %(id)s AND author_id = %(author_id)s RETURNING id;

-- name: hydrate_posts
-- Posts by id with author, what they answer, counts, mentions and the reader's flags
-- (%(reader_id)s may be NULL); only those the reader may see when %(check)s. The caller
-- restores the order. replies_count counts public and unlisted replies, as Mastodon does.
SELECT p.id, p.content, p.parent_id, p.created_at, p.visibility, p.reblog_of_id,
       p.spoiler_text, p.sensitive, p.edited_at,
       ARRAY(SELECT t.tag FROM post_tags t WHERE t.post_id = p.id ORDER BY t.tag) AS tags,
       (SELECT count(*) FROM posts r
        WHERE r.parent_id = p.id AND r.visibility IN ('public', 'unlisted')) AS replies_count,
       (SELECT count(*) FROM favourites f WHERE f.post_id = p.id) AS favourites_count,
       (SELECT count(*) FROM posts b WHERE b.reblog_of_id = p.id) AS reblogs_count,
       EXISTS (SELECT 1 FROM favourites f
               WHERE f.post_id = p.id AND f.user_id = %(reader_id)s) AS favourited,
       EXISTS (SELECT 1 FROM posts b
               WHERE b.reblog_of_id = p.id AND b.author_id = %(reader_id)s) AS reblogged,
       EXISTS (SELECT 1 FROM bookmarks k
               WHERE k.post_id = p.id AND k.user_id = %(reader_id)s) AS bookmarked,
       ARRAY(SELECT mu.id FROM mentions m JOIN users mu ON mu.id = m.user_id
             WHERE m.post_id = p.id ORDER BY mu.id) AS mention_ids,
       ARRAY(SELECT mu.username FROM mentions m JOIN users mu ON mu.id = m.user_id
             WHERE m.post_id = p.id ORDER BY mu.id) AS mention_names,
       u.id AS author_id, u.username, u.display_name, u.description, u.posts_count,
       u.followers_count, u.following_count, u.created_at AS author_created_at,
       parent.author_id AS parent_author_id, pu.username AS parent_username
FROM posts p
JOIN users u ON u.id = p.author_id
LEFT JOIN posts parent ON parent.id = p.parent_id
LEFT JOIN users pu ON pu.id = parent.author_id
WHERE p.id = ANY(%(ids)s) AND (NOT %(check)s OR {visible_to});

-- name: ancestors
-- The chain of parents of a post, nearest first (bounded against cycles and deep chains).
WITH RECURSIVE chain(id, parent_id, depth) AS (
    SELECT p.id, p.parent_id, 0 FROM posts p WHERE p.id = %(id)s
    UNION ALL
    SELECT p.id, p.parent_id, c.depth + 1
    FROM chain c JOIN posts p ON p.id = c.parent_id
    WHERE c.depth < 100
)
SELECT id FROM chain WHERE depth > 0 ORDER BY depth;

-- name: descendants
-- Replies to a post and their replies, in id order (bounded).
WITH RECURSIVE tree(id, depth) AS (
    SELECT p.id, 1 FROM posts p WHERE p.parent_id = %(id)s
    UNION ALL
    SELECT p.id, t.depth + 1
    FROM tree t JOIN posts p ON p.parent_id = t.id
    WHERE t.depth < 100
)
SELECT id FROM tree ORDER BY id LIMIT 400;

-- name: ids_by_author
SELECT id FROM posts WHERE author_id = %(author_id)s ORDER BY id;

-- name: profile
-- An account's posts and boosts that the reader (NULL: anyone) may see, newest first; less
-- its boosts when exclude_reblogs, and its replies to others when exclude_replies (answers
-- to itself stay, as on Mastodon); only its posts with the hashtag %(tagged)s when not NULL
-- (boosts carry no hashtags of their own: none).
SELECT p.id FROM posts p
WHERE p.author_id = %(author_id)s AND p.id < %(below)s AND p.id > %(above)s
  AND (NOT %(exclude_reblogs)s OR p.reblog_of_id IS NULL)
  AND (NOT %(exclude_replies)s OR p.parent_id IS NULL
       OR EXISTS (SELECT 1 FROM posts q WHERE q.id = p.parent_id AND q.author_id = p.author_id))
  AND (%(tagged)s::text IS NULL
       OR EXISTS (SELECT 1 FROM post_tags t WHERE t.tag = %(tagged)s AND t.post_id = p.id))
  AND {visible_to}
ORDER BY p.id {order}
LIMIT %(limit)s;
