-- The benchmark's own queries: its data-set marker, reader activity, reader choice, sizes.
-- Loaded by microblog/bench/store.py, apart from the server's store/sql/*.sql.

-- name: bench_marker_table
CREATE TABLE IF NOT EXISTS bench_dataset (fingerprint text NOT NULL);
ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS last_post_id bigint;

-- name: bench_marker_get
-- A marker without the last generated post is from an older harness: generate again.
SELECT fingerprint FROM bench_dataset WHERE last_post_id IS NOT NULL;

-- name: bench_marker_clear
DELETE FROM bench_dataset;

-- name: bench_marker_set
INSERT INTO bench_dataset (fingerprint, last_post_id)
SELECT %(fingerprint)s, coalesce(max(id), 0) FROM posts;

-- name: bench_restore
-- Back to the generated data: a run writes posts (and tokens and jobs) into it, so without
-- this every run would measure a slightly bigger data set than the one before.
DELETE FROM posts WHERE id > (SELECT last_post_id FROM bench_dataset);

-- name: bench_restore_state
-- (Feed state is each strategy's own: the build of each measured strategy forgets it.)
TRUNCATE api_tokens, feed_outbox, procrastinate_jobs, procrastinate_events CASCADE;

-- name: bench_activity
-- A stable share of users inactive for a month, the rest active within the last five days.
UPDATE users SET last_active_at = CASE
    WHEN (id * 2654435761) %% 1000 < %(inactive_permille)s THEN now() - interval '30 days'
    ELSE now() - make_interval(hours => (id %% 120)::int)
END;

-- name: bench_reader_most_follows
SELECT id FROM users ORDER BY following_count DESC, id LIMIT 1;

-- name: bench_reader_median
SELECT id FROM users ORDER BY following_count, id
OFFSET (SELECT count(*) / 2 FROM users) LIMIT 1;

-- name: bench_reader_sparse
-- Among the users who follow the fewest accounts (at least one), the one whose followed
-- accounts have written the least.
WITH fewest AS (
    SELECT min(following_count) AS n FROM users WHERE following_count >= 1
)
SELECT u.id
FROM users u, fewest
WHERE u.following_count = fewest.n
ORDER BY (SELECT coalesce(sum(a.posts_count), 0)
          FROM follows f JOIN users a ON a.id = f.followed_id
          WHERE f.follower_id = u.id), u.id
LIMIT 1;

-- name: bench_reader_fan_of_biggest
SELECT f.follower_id AS id FROM follows f
WHERE f.followed_id = (SELECT id FROM users ORDER BY followers_count DESC, id LIMIT 1)
ORDER BY f.follower_id
LIMIT 1;

-- name: bench_reader_inactive
SELECT id FROM users WHERE last_active_at < now() - interval '7 days'
ORDER BY following_count DESC, id LIMIT 1;

-- name: bench_sample_readers
SELECT id FROM users WHERE following_count > 0 ORDER BY (id * 2654435761) %% 100003 LIMIT %(n)s;

-- name: bench_authors
-- Authors for generated writes: a deterministic spread of users with followers.
SELECT id FROM users WHERE followers_count > 0 ORDER BY (id * 2654435761) %% 100019 LIMIT %(n)s;

-- name: bench_database_bytes
SELECT pg_database_size(current_database()) AS bytes;

-- name: bench_outbox_waiting
-- Which of these posts still wait in the fan-out outbox. A post leaves it in the
-- transaction that writes it into every follower's feed, so absent means fanned out.
SELECT post_id FROM feed_outbox WHERE post_id = ANY(%(post_ids)s);

-- name: bench_forget_jobs
DELETE FROM procrastinate_jobs WHERE status IN ('succeeded', 'failed', 'cancelled', 'aborted');

-- name: bench_reader_most_followed_author
SELECT id FROM users WHERE %(n)s > 0 ORDER BY followers_count DESC, id LIMIT %(n)s;

-- name: bench_reader_least_followed_author
SELECT id FROM users WHERE followers_count > 0 ORDER BY followers_count, id LIMIT %(n)s;

-- name: bench_vacuum_posts
-- After bench_restore's deletes (run outside a transaction).
VACUUM ANALYZE posts;

-- name: bench_analyze_users
-- After bench_activity rewrote every user (run outside a transaction).
ANALYZE users;

-- name: bench_vacuum_built
-- As autovacuum would do after a bulk build: visibility map and statistics (run outside a
-- transaction).
VACUUM ANALYZE {tables};
