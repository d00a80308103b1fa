-- name: create_token
INSERT INTO api_tokens (token_hash, user_id, scope, app_id)
VALUES (%(token_hash)s, %(user_id)s, %(scope)s, %(app_id)s)
RETURNING created_at;

-- name: token_access
-- The caller of an API request, in the one round trip every request makes: the token's
-- scopes and application, and its user (NULL columns for an app-only token).
SELECT t.scope, t.app_id, u.id, u.username, u.display_name, u.description, u.posts_count,
       u.followers_count, u.following_count, u.created_at
FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
WHERE t.token_hash = %(token_hash)s;

-- name: revoke_token
DELETE FROM api_tokens WHERE token_hash = %(token_hash)s RETURNING user_id;

-- name: revoke_user_tokens
DELETE FROM api_tokens WHERE user_id = %(user_id)s;
