-- name: create_token
INSERT INTO api_tokens (token_hash, user_id, scope)
VALUES (%(token_hash)s, %(user_id)s, %(scope)s)
RETURNING created_at;

-- name: token_user
SELECT user_id, scope FROM api_tokens WHERE token_hash = %(token_hash)s;

-- name: revoke_token
DELETE FROM api_tokens WHERE token_hash = %(token_hash)s RETURNING user_id;
