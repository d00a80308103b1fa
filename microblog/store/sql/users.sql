-- name: create_user
INSERT INTO users (username, password_digest)
VALUES (%(username)s, %(password_digest)s)
ON CONFLICT DO NOTHING
RETURNING id, username, display_name, description, posts_count, followers_count, following_count, created_at;

-- name: user_by_id
SELECT id, username, display_name, description, posts_count, followers_count, following_count, created_at
FROM users WHERE id = %(id)s;

-- name: user_by_username
SELECT id, username, display_name, description, posts_count, followers_count, following_count, created_at
FROM users WHERE lower(username) = lower(%(username)s);

-- name: credentials_by_username
SELECT id, password_digest FROM users WHERE lower(username) = lower(%(username)s);

-- name: set_password_digest
UPDATE users SET password_digest = %(password_digest)s WHERE id = %(id)s;

-- name: update_description
UPDATE users SET description = %(description)s, updated_at = now()
WHERE id = %(id)s
RETURNING id, username, display_name, description, posts_count, followers_count, following_count, created_at;

-- name: update_profile
-- The profile's description and display name; a NULL one stays as it is.
UPDATE users SET description = coalesce(%(description)s, description),
                 display_name = coalesce(%(display_name)s, display_name),
                 updated_at = now()
WHERE id = %(id)s
RETURNING id, username, display_name, description, posts_count, followers_count, following_count, created_at;

-- name: site_usage
-- Accounts, those active in the last 30 and 180 days, and their posts, boosts included
-- (the counters the trigger keeps: one pass over users, never over posts).
SELECT count(*) AS users,
       count(*) FILTER (WHERE last_active_at > now() - interval '30 days') AS active_month,
       count(*) FILTER (WHERE last_active_at > now() - interval '180 days') AS active_halfyear,
       coalesce(sum(posts_count), 0)::bigint AS posts
FROM users;

-- name: touch_active
-- Reader activity, at most once a minute per user so reads do not turn into writes.
UPDATE users SET last_active_at = now()
WHERE id = %(id)s AND last_active_at < now() - interval '1 minute';

-- name: followers_page
SELECT u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count, u.following_count,
       u.created_at
FROM follows f JOIN users u ON u.id = f.follower_id
WHERE f.followed_id = %(user_id)s AND f.follower_id < %(max_id)s
ORDER BY f.follower_id DESC
LIMIT %(limit)s;

-- name: following_page
SELECT u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count, u.following_count,
       u.created_at
FROM follows f JOIN users u ON u.id = f.followed_id
WHERE f.follower_id = %(user_id)s AND f.followed_id < %(max_id)s
ORDER BY f.followed_id DESC
LIMIT %(limit)s;

-- name: following_count
SELECT following_count FROM users WHERE id = %(id)s;

-- name: table_estimates
-- Planner statistics, good enough to choose a query plan, and free to read.
SELECT greatest((SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass), 1)::bigint AS users,
       greatest((SELECT reltuples FROM pg_class WHERE oid = 'posts'::regclass), 1)::bigint AS posts;

-- name: ids_after
-- A batch of user ids in order, for walking every user.
SELECT id FROM users WHERE id > %(after)s ORDER BY id LIMIT %(batch)s;

-- name: related_ids
-- The accounts an account's deletion changes besides its own: its followers and the
-- accounts it follows (the counter trigger updates their rows as its follows go).
SELECT follower_id AS id FROM follows WHERE followed_id = %(id)s
UNION
SELECT followed_id FROM follows WHERE follower_id = %(id)s;

-- name: lock_related
-- Some of those rows, in id order, between two ids (the rule of docs/feeds.md: users rows
-- first, in id order, FOR NO KEY UPDATE, as follow and unfollow take them).
SELECT id FROM users
WHERE id = ANY(%(ids)s) AND id > %(above)s AND id < %(below)s
ORDER BY id
FOR NO KEY UPDATE;

-- name: lock_deleted
-- The deleted account's own row, in its place in the id order, FOR UPDATE at once (the
-- DELETE needs it): a post or a log-in of the account already holding a key-share lock on
-- it finishes first, instead of deadlocking with a later upgrade.
SELECT id FROM users WHERE id = %(id)s FOR UPDATE;

-- name: delete_user
-- Cascades to posts, follows (both ways), API tokens, sessions and the state tables with a
-- foreign key; replies others wrote to the posts stay (posts.parent_id has no foreign key).
DELETE FROM users WHERE id = %(id)s RETURNING id;

-- name: ids_by_usernames
-- The accounts of some usernames (lower-cased), for the mentions of a post.
SELECT id, username FROM users WHERE lower(username) = ANY(%(names)s) ORDER BY id;

-- name: users_by_ids
SELECT id, username, display_name, description, posts_count, followers_count, following_count, created_at
FROM users WHERE id = ANY(%(ids)s);
