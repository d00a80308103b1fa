-- The replica benchmark's queries: transactions served by each server, WAL positions of the
-- primary and its replica, and the push tables switched from UNLOGGED to LOGGED. Loaded by
-- microblog/bench/replica_store.py, apart from the server's SQL.

-- name: replicas_xacts
-- Transactions committed in a database on this server since its statistics began. Counts
-- are per server (a replica keeps its own); a backend reports them at most once a second
-- while it works, and at its exit.
SELECT coalesce(sum(xact_commit), 0)::bigint AS n
FROM pg_stat_database WHERE datname = %(database)s;

-- name: replicas_insert_lsn
-- Where the primary's WAL ends now, as bytes from its start.
SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn;

-- name: replicas_flush_lsn
-- How far the primary's WAL is on disk, as bytes from its start: a replica is sent WAL only
-- up to there (a transaction still writing holds WAL inserted and not yet flushed).
SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint AS lsn;

-- name: replicas_replay_lsn
-- How far a replica has replayed, as bytes from the WAL's start (NULL on a primary).
SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn;

-- name: replicas_persistence
-- Each of these tables (ordinary tables only) with its persistence: p logged, u unlogged.
SELECT relname AS name, relpersistence AS persistence
FROM pg_class
WHERE relname = ANY(%(tables)s) AND relkind = 'r'
  AND relnamespace = 'public'::regnamespace
ORDER BY relname;

-- name: replicas_set_logged
-- Rewrites the table into the WAL (a replica then holds its rows); {table} is a name from
-- replicas_persistence.
ALTER TABLE {table} SET LOGGED;

-- name: replicas_checkpoint
-- After a checkpoint, the first change of each page writes the whole page to the WAL: every
-- fan-out measured starts from one, as one does every checkpoint_timeout in production.
CHECKPOINT;

-- name: replicas_bytes
-- Bytes on disk of these tables with their indexes.
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
FROM pg_class c
WHERE c.relname = ANY(%(tables)s) AND c.relkind = 'r'
  AND c.relnamespace = 'public'::regnamespace;
