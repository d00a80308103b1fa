"""Feed state for the fanout, hybrid and matview strategies.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
    -- Push feeds (fanout, hybrid). A reader with a feed_state row has, in feed_entries,
    -- every post of the accounts they follow with id > floor (once the queue has drained).
    -- Posts at or below the floor, and the reader's own posts, are read by the pull path.
    CREATE TABLE feed_state (
        user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        floor    bigint NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now()
    );
    -- Ids only (16 bytes of key): authors, times and texts are read from posts when a page
    -- is shown. No foreign keys and no second index, so a fan-out writes one index entry
    -- per row; readers join posts, so an entry of a deleted post is never shown.
    CREATE TABLE feed_entries (
        user_id bigint NOT NULL,
        post_id bigint NOT NULL,
        PRIMARY KEY (user_id, post_id)
    );

    -- hybrid: authors whose posts are merged at read time instead of fanned out.
    CREATE TABLE celebrities (
        user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        since   timestamptz NOT NULL DEFAULT now()
    );

    -- matview: which readers the view holds, and up to which post id (its high-water mark);
    -- both replaced in the same transaction as REFRESH, so readers see one consistent state.
    CREATE TABLE matview_state (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        generation  bigint NOT NULL DEFAULT 0,
        hwm         bigint NOT NULL DEFAULT 0,
        per_reader  integer NOT NULL DEFAULT 200,
        refreshed_at timestamptz
    );
    INSERT INTO matview_state DEFAULT VALUES;
    CREATE TABLE matview_readers (user_id bigint PRIMARY KEY);
    -- Readers whose follows changed since the last refresh: served by pull until the next.
    CREATE TABLE matview_stale (
        id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id bigint NOT NULL
    );
    CREATE INDEX matview_stale_user_id_idx ON matview_stale (user_id);

    -- The newest n post ids of a reader's followed accounts at or below hwm, with the same
    -- per-reader choice of plan as the pull strategy (merge for few follows, scan for many).
    CREATE FUNCTION microblog_feed_top(reader bigint, n integer, hwm bigint)
    RETURNS TABLE (post_id bigint) LANGUAGE plpgsql STABLE AS $$
    DECLARE
        follows_n bigint;
        users_n   double precision;
    BEGIN
        SELECT following_count INTO follows_n FROM users WHERE id = reader;
        SELECT greatest(reltuples, 1) INTO users_n FROM pg_class WHERE oid = 'users'::regclass;
        IF follows_n * follows_n <= 4 * users_n THEN
            RETURN QUERY
                SELECT p.id FROM follows f
                CROSS JOIN LATERAL (
                    SELECT id FROM posts
                    WHERE author_id = f.followed_id AND id <= hwm
                    ORDER BY id DESC LIMIT n
                ) p
                WHERE f.follower_id = reader
                ORDER BY p.id DESC LIMIT n;
        ELSE
            RETURN QUERY
                SELECT p.id FROM posts p
                WHERE p.id <= hwm
                  AND EXISTS (SELECT 1 FROM follows f
                              WHERE f.follower_id = reader AND f.followed_id = p.author_id)
                ORDER BY p.id DESC LIMIT n;
        END IF;
    END $$;

    -- The seed's user_feeds, bounded: per reader the newest per_reader + 1 posts (the extra
    -- one marks where the view's coverage of that reader ends), for the readers listed in
    -- matview_readers (the active ones). Post texts are not copied: pages read posts.
    CREATE MATERIALIZED VIEW user_feeds AS
        SELECT r.user_id, t.post_id
        FROM matview_readers r
        CROSS JOIN matview_state s
        CROSS JOIN LATERAL microblog_feed_top(r.user_id, s.per_reader + 1, s.hwm) t
    WITH NO DATA;
    CREATE UNIQUE INDEX user_feeds_user_id_post_id_idx ON user_feeds (user_id, post_id);
    REFRESH MATERIALIZED VIEW user_feeds;
    """)


def downgrade() -> None:
    op.execute("""
    DROP MATERIALIZED VIEW user_feeds;
    DROP FUNCTION microblog_feed_top;
    DROP TABLE matview_stale, matview_readers, matview_state, celebrities, feed_entries,
        feed_state;
    """)
