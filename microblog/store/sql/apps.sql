-- name: create_app
INSERT INTO oauth_apps (client_id, client_secret_hash, name, website, redirect_uris, scopes)
VALUES (%(client_id)s, %(secret_hash)s, %(name)s, %(website)s, %(redirect_uris)s, %(scopes)s)
RETURNING id, client_id, client_secret_hash, name, website, redirect_uris, scopes, created_at;

-- name: app_by_client_id
SELECT id, client_id, client_secret_hash, name, website, redirect_uris, scopes, created_at
FROM oauth_apps WHERE client_id = %(client_id)s;

-- name: app_by_id
SELECT id, client_id, client_secret_hash, name, website, redirect_uris, scopes, created_at
FROM oauth_apps WHERE id = %(id)s;

-- name: sweep_codes
-- Codes past their ten minutes, never exchanged; swept as new ones are issued.
DELETE FROM oauth_codes WHERE expires_at < now();

-- name: create_code
INSERT INTO oauth_codes (code_hash, app_id, user_id, redirect_uri, scope, code_challenge,
                         code_challenge_method, expires_at)
VALUES (%(code_hash)s, %(app_id)s, %(user_id)s, %(redirect_uri)s, %(scope)s,
        %(code_challenge)s, %(code_challenge_method)s,
        now() + make_interval(secs => %(lifetime)s));

-- name: take_code
-- A code is good once: it is deleted as it is read, so that two exchanges racing each other
-- cannot both succeed. Only the application it was issued to may take it.
DELETE FROM oauth_codes
WHERE code_hash = %(code_hash)s AND app_id = %(app_id)s
RETURNING app_id, user_id, redirect_uri, scope, code_challenge, code_challenge_method,
          expires_at > now() AS live;

-- name: authorized_apps
-- The applications holding tokens of a user, most recently authorized first.
SELECT a.id, a.name, a.website, string_agg(DISTINCT t.scope, ' ') AS scopes, max(t.created_at) AS authorized_at,
       count(*) AS tokens
FROM api_tokens t JOIN oauth_apps a ON a.id = t.app_id
WHERE t.user_id = %(user_id)s
GROUP BY a.id
ORDER BY max(t.created_at) DESC, a.id DESC;

-- name: revoke_app_tokens
DELETE FROM api_tokens WHERE user_id = %(user_id)s AND app_id = %(app_id)s;

-- name: revoke_app_codes
DELETE FROM oauth_codes WHERE user_id = %(user_id)s AND app_id = %(app_id)s;
