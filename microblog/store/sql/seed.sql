-- `microblog seed`: bulk load of generated users, posts and follows (microblog/store/seed.py).
-- All of it runs in one transaction: a failed load leaves the database as it was.

-- name: seed_lock
-- Taken before looking at users, so nobody adds a user between the check and the wipe.
LOCK TABLE users, posts, follows, api_tokens IN ACCESS EXCLUSIVE MODE;

-- name: seed_users_present
SELECT EXISTS (SELECT 1 FROM users) AS present;

-- name: seed_tune
-- Index builds and constraint checks sort tens of millions of rows: give them memory.
SET LOCAL maintenance_work_mem = '256MB';
SET LOCAL work_mem = '256MB';

-- name: seed_wipe
-- Always truncates, even an empty database: COPY FREEZE needs the tables truncated in this
-- transaction. The feed state describes the old posts and follows, so it goes too; CASCADE
-- also empties any other table that references users.
TRUNCATE users, posts, follows, api_tokens,
         feed_chunks, feed_state, hybrid_feed_chunks, hybrid_feed_state, feed_outbox,
         celebrities, matview_readers, matview_stale
         CASCADE;

-- name: seed_matview_reset
-- The view held the old posts: empty it (no readers are listed any more) and make its next
-- refresh due at once.
UPDATE matview_state SET hwm = 0, generation = generation + 1, refreshed_at = NULL;
REFRESH MATERIALIZED VIEW user_feeds;

-- name: seed_drop_indexes
-- Indexes and foreign keys are built once after the load (a sort, or one join, each) instead
-- of being maintained, or checked, row by row; follows' primary key too, as 25M ordered
-- inserts into it cost more than sorting the rows once. Recreated by seed_create_indexes
-- and seed_add_foreign_keys exactly as the migrations define them.
DROP INDEX posts_author_id_id_idx, posts_parent_id_idx, follows_followed_id_follower_id_idx,
    posts_content_fts;
ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey;
ALTER TABLE follows DROP CONSTRAINT follows_pkey,
                    DROP CONSTRAINT follows_follower_id_fkey,
                    DROP CONSTRAINT follows_followed_id_fkey;

-- name: seed_disable_triggers
-- The counter triggers would update a users row per loaded row; seed_recount does it once.
ALTER TABLE posts DISABLE TRIGGER USER;
ALTER TABLE follows DISABLE TRIGGER USER;

-- name: seed_copy_users
COPY users (id, username, description, password_digest, created_at, updated_at,
            last_active_at)
FROM STDIN (FREEZE);

-- name: seed_copy_posts
COPY posts (id, author_id, content, parent_id, created_at, updated_at) FROM STDIN (FREEZE);

-- name: seed_follows_dated
-- Every seeded follow is dated seeding.FOLLOWS_AT (a test checks the two agree). Parsing a
-- timestamp twice per row would make COPY of 25M follows three times slower, so during the
-- load the columns default to that constant, and seed_follows_undated restores now().
ALTER TABLE follows
    ALTER COLUMN created_at SET DEFAULT '2025-10-03 00:00:00+00',
    ALTER COLUMN updated_at SET DEFAULT '2025-10-03 00:00:00+00';

-- name: seed_copy_follows
COPY follows (follower_id, followed_id) FROM STDIN (FREEZE);

-- name: seed_follows_undated
-- The defaults of 0001_core.py.
ALTER TABLE follows
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();

-- name: seed_setval
-- The ids were written explicitly: move the identity sequences past them.
SELECT setval(pg_get_serial_sequence('users', 'id'),
              coalesce((SELECT max(id) FROM users), 0) + 1, false),
       setval(pg_get_serial_sequence('posts', 'id'),
              coalesce((SELECT max(id) FROM posts), 0) + 1, false);

-- name: seed_create_indexes
-- The same names and definitions as the migrations (0001_core.py; the per-author index as
-- 0008_social.py redefines it, covering what the feed filters read; search, 0009_clients.py).
CREATE INDEX posts_author_id_id_idx ON posts (author_id, id DESC)
    INCLUDE (visibility, reblog_author_id);
CREATE INDEX posts_parent_id_idx ON posts (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX posts_content_fts ON posts USING gin (to_tsvector('simple', content));
CREATE INDEX follows_followed_id_follower_id_idx ON follows (followed_id, follower_id);
ALTER TABLE follows ADD CONSTRAINT follows_pkey PRIMARY KEY (follower_id, followed_id);

-- name: seed_add_foreign_keys
-- The same names and definitions as 0001_core.py; each is validated by one join.
ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey
    FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE follows
    ADD CONSTRAINT follows_follower_id_fkey
        FOREIGN KEY (follower_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT follows_followed_id_fkey
        FOREIGN KEY (followed_id) REFERENCES users (id) ON DELETE CASCADE;

-- name: seed_enable_triggers
ALTER TABLE posts ENABLE TRIGGER USER;
ALTER TABLE follows ENABLE TRIGGER USER;

-- name: seed_analyze_loaded
-- Statistics before the recount, so it plans its aggregates on real sizes.
ANALYZE posts, follows;

-- name: seed_recount
-- What the counter triggers would have done, once per user.
UPDATE users u
SET posts_count = coalesce(p.n, 0),
    following_count = coalesce(fo.n, 0),
    followers_count = coalesce(fe.n, 0)
FROM users x
LEFT JOIN (SELECT author_id, count(*) AS n FROM posts GROUP BY author_id) p
    ON p.author_id = x.id
LEFT JOIN (SELECT follower_id, count(*) AS n FROM follows GROUP BY follower_id) fo
    ON fo.follower_id = x.id
LEFT JOIN (SELECT followed_id, count(*) AS n FROM follows GROUP BY followed_id) fe
    ON fe.followed_id = x.id
WHERE u.id = x.id;

-- name: seed_analyze_users
ANALYZE users;

-- The development server (microblog/devserver.py): its database on a shared PostgreSQL.

-- name: dev_database_exists
SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'microblog') AS present;

-- name: dev_create_database
CREATE DATABASE microblog;
