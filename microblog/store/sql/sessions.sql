-- name: create_session
INSERT INTO sessions (id_hash, user_id, expires_at)
VALUES (%(id_hash)s, %(user_id)s, now() + make_interval(secs => %(lifetime)s));

-- name: session_user
-- The logged-in user of a page request, in the one round trip it makes for it.
SELECT u.id, u.username, u.display_name, u.description, u.posts_count, u.followers_count, u.following_count,
       u.created_at, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = %(id_hash)s AND s.expires_at > now();

-- name: end_session
DELETE FROM sessions WHERE id_hash = %(id_hash)s;

-- name: end_user_sessions
DELETE FROM sessions WHERE user_id = %(user_id)s;

-- name: end_expired_sessions
DELETE FROM sessions WHERE expires_at <= now();

-- name: count_user_sessions
SELECT count(*) AS n FROM sessions WHERE user_id = %(user_id)s AND expires_at > now();
