-- The matview strategy: the bounded user_feeds materialized view and its bookkeeping.

-- name: reader
-- Everything a read needs to know, in one round trip: the view's generation and high-water
-- mark, whether it holds this reader (listed and not stale), and the reader's floor (the
-- (per_reader + 1)-th newest post the view holds for them, or 0 when it holds fewer).
SELECT s.generation, s.hwm,
       EXISTS (SELECT 1 FROM matview_readers r WHERE r.user_id = %(reader_id)s)
         AND NOT EXISTS (SELECT 1 FROM matview_stale t WHERE t.user_id = %(reader_id)s) AS held,
       coalesce((SELECT v.post_id FROM user_feeds v WHERE v.user_id = %(reader_id)s
                 ORDER BY v.post_id DESC OFFSET s.per_reader LIMIT 1), 0) AS floor
FROM matview_state s;

-- name: page
-- The view's posts for a reader in a window (those that still exist), the reader's own posts
-- when include_self, both through home_visible (sql/filters.sql), and the generation read
-- in the same snapshot.
SELECT s.generation, ARRAY(
    SELECT id FROM (
        (SELECT v.post_id AS id FROM user_feeds v
         JOIN posts p ON p.id = v.post_id
         WHERE v.user_id = %(reader_id)s AND v.post_id > %(above)s AND v.post_id < %(below)s
           AND {home_visible}
         ORDER BY v.post_id {order}
         LIMIT %(limit)s)
        UNION ALL
        (SELECT p.id FROM posts p
         WHERE %(include_self)s AND p.author_id = %(reader_id)s
           AND p.id > %(above)s AND p.id < %(below)s
           AND {home_visible}
         ORDER BY p.id {order}
         LIMIT %(limit)s)
    ) merged
    ORDER BY id {order}
    LIMIT %(limit)s
) AS ids
FROM matview_state s;

-- name: mark_stale
INSERT INTO matview_stale (user_id) VALUES (%(reader_id)s);

-- name: due
SELECT refreshed_at IS NULL
       OR refreshed_at < now() - make_interval(secs => %(seconds)s) AS due
FROM matview_state;

-- name: lock_state
-- Refreshes take turns (the first statement of each): two at once would each list the
-- readers again and collide.
SELECT generation FROM matview_state FOR UPDATE;

-- name: unlist_readers
-- The readers the next refresh holds: the active ones. (Runs in the refresh's transaction.)
DELETE FROM matview_readers;

-- name: list_readers
INSERT INTO matview_readers (user_id)
SELECT id FROM users WHERE last_active_at > now() - make_interval(days => %(active_days)s);

-- name: high_water
-- The last post id handed out, and when it was read: every post with an id at or below it
-- was inserted by a transaction that had begun by then.
SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('posts', 'id')::regclass), 0)
         AS hwm,
       statement_timestamp() AS at;

-- name: writers_before
-- Transactions begun by %(at)s that still write posts (they hold ROW EXCLUSIVE on posts). A
-- post such a transaction inserted may have an id below the high-water mark and still be
-- invisible: a refresh that ran now would leave it out of the view for good.
SELECT count(*) AS n
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = 'posts'::regclass
  AND l.mode = 'RowExclusiveLock' AND l.granted
  AND a.pid <> pg_backend_pid() AND a.xact_start <= %(at)s;

-- name: begin_refresh
-- Up to which post the refresh reads (every post up to it has committed or never will),
-- and up to which stale mark it answers for.
UPDATE matview_state
SET hwm = %(hwm)s,
    per_reader = %(per_reader)s,
    generation = generation + 1,
    refreshed_at = now()
RETURNING (SELECT coalesce(max(id), 0) FROM matview_stale) AS stale_upto;

-- name: refresh
REFRESH MATERIALIZED VIEW CONCURRENTLY user_feeds;

-- name: analyze
-- Fresh statistics in the same transaction: the planner otherwise guesses the new view's
-- size from nothing.
ANALYZE user_feeds, matview_readers, matview_state;

-- name: clear_stale
DELETE FROM matview_stale WHERE id <= %(stale_upto)s;

-- name: forget_all
-- Hold no reader: every page comes from pull until the next refresh. A new generation makes
-- reads in flight start again.
UPDATE matview_state
SET hwm = 0, generation = generation + 1, refreshed_at = NULL;

-- name: empty_view
REFRESH MATERIALIZED VIEW user_feeds;

-- name: clear_stale_all
DELETE FROM matview_stale;

-- name: drop_reader
-- A deleted account leaves the view's bookkeeping (after lock_state, in one transaction) ...
DELETE FROM matview_readers WHERE user_id = %(reader_id)s;

-- name: drop_stale
DELETE FROM matview_stale WHERE user_id = %(reader_id)s;

-- name: refresh_soon
-- ... and the view, whose rows still name it and its posts (pages skip them: they join
-- posts), is refreshed by the next maintenance pass instead of waiting for its period.
UPDATE matview_state SET refreshed_at = NULL;
