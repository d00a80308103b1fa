-- The WAL positions that route reads between the primary and its streaming replicas, as
-- bytes from the start of the WAL (a number, so that positions compare and subtract).

-- name: primary_lsn
-- Where the primary's WAL ends now: past the commit of every transaction that has returned
-- (the insert position is at or after the flush position of a commit).
SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn;

-- name: replica_lsn
-- How far a replica has replayed; NULL when the server is not a replica (recovery over).
SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn;
