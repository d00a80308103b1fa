"""What Mastodon clients need: OAuth applications and authorization codes, tokens bound to an
application (and app-only tokens, with no user), display names, content warnings, edits,
idempotent posting, hashtags and full-text search.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("""
    ALTER TABLE users ADD COLUMN display_name text NOT NULL DEFAULT ''
        CHECK (char_length(display_name) <= 30);
    ALTER TABLE posts
        ADD COLUMN spoiler_text text NOT NULL DEFAULT ''
            CHECK (char_length(spoiler_text) <= 100),
        ADD COLUMN sensitive boolean NOT NULL DEFAULT false,
        ADD COLUMN edited_at timestamptz;
    -- An edited post's earlier versions (Mastodon's status history), oldest first; the
    -- current version is the post itself. created_at: when that version was written.
    CREATE TABLE post_edits (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        post_id      bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        content      text NOT NULL,
        spoiler_text text NOT NULL,
        sensitive    boolean NOT NULL,
        created_at   timestamptz NOT NULL
    );
    CREATE INDEX post_edits_post ON post_edits (post_id, id);

    -- A client registered through POST /api/v1/apps; only the secret's SHA-256 is kept.
    CREATE TABLE oauth_apps (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        client_id          text NOT NULL UNIQUE,
        client_secret_hash bytea NOT NULL,
        name               text NOT NULL,
        website            text,
        redirect_uris      text NOT NULL,
        scopes             text NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now()
    );
    -- An authorization code, good once and for ten minutes (RFC 6749 4.1.2).
    CREATE TABLE oauth_codes (
        code_hash             bytea PRIMARY KEY,
        app_id                bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        user_id               bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri          text NOT NULL,
        scope                 text NOT NULL,
        code_challenge        text,
        code_challenge_method text,
        expires_at            timestamptz NOT NULL
    );
    CREATE INDEX oauth_codes_user ON oauth_codes (user_id);
    -- A token belongs to an application (NULL: issued before applications were kept, or by
    -- the sign-up endpoint) and to a user (NULL: an app-only client_credentials token).
    ALTER TABLE api_tokens
        ADD COLUMN app_id bigint REFERENCES oauth_apps (id) ON DELETE CASCADE,
        ALTER COLUMN user_id DROP NOT NULL;
    CREATE INDEX api_tokens_app ON api_tokens (app_id) WHERE app_id IS NOT NULL;

    -- Idempotency-Key: the same key from the same account within an hour is the same post.
    CREATE TABLE idempotency_keys (
        user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key        text NOT NULL,
        post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

    -- Hashtags, lower-cased, in the order a tag timeline reads them (newest first).
    -- Collated "C" (byte order): a hashtag search walks the primary key by prefix range.
    CREATE TABLE post_tags (
        tag     text COLLATE "C" NOT NULL,
        post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        PRIMARY KEY (tag, post_id)
    );
    CREATE INDEX post_tags_post ON post_tags (post_id);

    -- Full-text search over posts: the 'simple' configuration (no stemming, no stop words),
    -- so that it serves every language alike.
    CREATE INDEX posts_content_fts ON posts USING gin (to_tsvector('simple', content));
    -- Account search by name prefix, case-insensitive.
    CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);
    -- Search: account search by display name prefix too (those who set one).
    CREATE INDEX users_display_name_prefix ON users (lower(display_name) text_pattern_ops)
        WHERE display_name <> '';
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX users_display_name_prefix, users_username_prefix, posts_content_fts;
    DROP TABLE post_tags, idempotency_keys;
    DELETE FROM api_tokens WHERE user_id IS NULL;
    DROP INDEX api_tokens_app;
    ALTER TABLE api_tokens DROP COLUMN app_id, ALTER COLUMN user_id SET NOT NULL;
    DROP TABLE oauth_codes, oauth_apps;
    DROP TABLE post_edits;
    ALTER TABLE posts DROP COLUMN edited_at, DROP COLUMN sensitive, DROP COLUMN spoiler_text;
    ALTER TABLE users DROP COLUMN display_name;
    """)
