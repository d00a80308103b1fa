-- The soak test's own queries: its fresh database, the accounts it plays, and what it watches
-- while the load runs. Loaded by microblog/bench/soak_store.py, apart from the server's SQL.

-- name: soak_drop_database
-- Run on the maintenance database, outside a transaction; {name} is a quoted identifier.
DROP DATABASE IF EXISTS {name} WITH (FORCE);

-- name: soak_create_database
CREATE DATABASE {name};

-- name: soak_accounts
SELECT id, username FROM users WHERE id = ANY(%(ids)s) ORDER BY id;

-- name: soak_backends
-- Everything connected to this database but the watcher itself: the server's and the
-- worker's pooled connections (client backends), and autovacuum workers passing by.
SELECT pid, backend_type, coalesce(state, '') AS state
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid();

-- name: soak_backlog
-- Work waiting for the job worker: jobs not finished, and posts not fanned out yet.
SELECT (SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')) AS jobs,
       (SELECT count(*) FROM feed_outbox) AS outbox;
