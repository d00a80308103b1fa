-- Questions about the database itself, asked by the feed tools, the strategies and the
-- benchmark.

-- name: size_bytes
-- Bytes on disk of some relations, with their indexes and TOAST (0 for none).
SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0)::bigint AS bytes
FROM unnest(%(tables)s::text[]) t;

-- name: now
SELECT statement_timestamp() AS at;

-- name: writers_before
-- Transactions other than this one, begun by %(at)s, that hold a writer's lock on a table
-- (ROW EXCLUSIVE, which INSERT, UPDATE and DELETE take before they take their snapshot: a
-- statement that may still write rows read before %(at)s holds it). pg_locks lists every
-- database's locks, and relation oids repeat across databases made from one template.
SELECT count(*) AS n
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = %(table)s::regclass
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.mode = 'RowExclusiveLock' AND l.granted
  AND a.pid <> pg_backend_pid() AND a.xact_start <= %(at)s;
