-- Blocks, mutes, favourites and bookmarks: rows of one account about another account or a
-- post. Lists page by the row's own id, newest first, as Mastodon's Link headers do.

-- name: block
INSERT INTO blocks (user_id, target_id) VALUES (%(user_id)s, %(target_id)s)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: unblock
DELETE FROM blocks WHERE user_id = %(user_id)s AND target_id = %(target_id)s RETURNING id;

-- name: mute
-- A mute, again with other options is fine: they change.
INSERT INTO mutes (user_id, target_id, notifications)
VALUES (%(user_id)s, %(target_id)s, %(notifications)s)
ON CONFLICT (user_id, target_id) DO UPDATE SET notifications = EXCLUDED.notifications
RETURNING id;

-- name: unmute
DELETE FROM mutes WHERE user_id = %(user_id)s AND target_id = %(target_id)s RETURNING id;

-- name: blocked_either
SELECT EXISTS (SELECT 1 FROM blocks
               WHERE (user_id = %(a)s AND target_id = %(b)s)
                  OR (user_id = %(b)s AND target_id = %(a)s)) AS yes;

-- name: relations
-- The blocks and mutes between an account and each of some others.
SELECT t.id,
       EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = %(user_id)s AND b.target_id = t.id)
         AS blocking,
       EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = t.id AND b.target_id = %(user_id)s)
         AS blocked_by,
       EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = %(user_id)s AND m.target_id = t.id)
         AS muting,
       EXISTS (SELECT 1 FROM mutes m
               WHERE m.user_id = %(user_id)s AND m.target_id = t.id AND m.notifications)
         AS muting_notifications
FROM unnest(%(ids)s::bigint[]) AS t(id);

-- name: blocks_page
SELECT b.id AS row_id, u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM blocks b JOIN users u ON u.id = b.target_id
WHERE b.user_id = %(user_id)s AND b.id < %(max_id)s
ORDER BY b.id DESC
LIMIT %(limit)s;

-- name: mutes_page
SELECT m.id AS row_id, u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM mutes m JOIN users u ON u.id = m.target_id
WHERE m.user_id = %(user_id)s AND m.id < %(max_id)s
ORDER BY m.id DESC
LIMIT %(limit)s;

-- name: favourite
INSERT INTO favourites (user_id, post_id) VALUES (%(user_id)s, %(post_id)s)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: unfavourite
DELETE FROM favourites WHERE user_id = %(user_id)s AND post_id = %(post_id)s RETURNING id;

-- name: bookmark
INSERT INTO bookmarks (user_id, post_id) VALUES (%(user_id)s, %(post_id)s)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: unbookmark
DELETE FROM bookmarks WHERE user_id = %(user_id)s AND post_id = %(post_id)s RETURNING id;

-- name: favourites_page
SELECT f.id AS row_id, f.post_id FROM favourites f
WHERE f.user_id = %(user_id)s AND f.id < %(max_id)s
ORDER BY f.id DESC
LIMIT %(limit)s;

-- name: bookmarks_page
SELECT k.id AS row_id, k.post_id FROM bookmarks k
WHERE k.user_id = %(user_id)s AND k.id < %(max_id)s
ORDER BY k.id DESC
LIMIT %(limit)s;

-- name: favourited_by
SELECT f.id AS row_id, u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM favourites f JOIN users u ON u.id = f.user_id
WHERE f.post_id = %(post_id)s AND f.id < %(max_id)s
ORDER BY f.id DESC
LIMIT %(limit)s;

-- name: reblogged_by
SELECT b.id AS row_id, u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at
FROM posts b JOIN users u ON u.id = b.author_id
WHERE b.reblog_of_id = %(post_id)s AND b.id < %(max_id)s
ORDER BY b.id DESC
LIMIT %(limit)s;

-- name: direct_page
-- The direct posts a user wrote or is mentioned in (Mastodon's conversations, one per
-- post), newest first: the author's through the per-author index, the others through
-- the user's mentions (an OR of the two would scan every post).
SELECT d.id AS row_id, d.id AS post_id FROM (
    SELECT p.id FROM posts p
    WHERE p.author_id = %(user_id)s AND p.visibility = 'direct' AND p.id < %(max_id)s
    UNION
    SELECT p.id FROM mentions m JOIN posts p ON p.id = m.post_id
    WHERE m.user_id = %(user_id)s AND p.visibility = 'direct' AND p.id < %(max_id)s
) d
ORDER BY d.id DESC
LIMIT %(limit)s;
