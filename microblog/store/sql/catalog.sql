-- Questions about the database itself, asked by the feed tools and the benchmark.

-- name: size_bytes
-- Bytes on disk of some relations, with their indexes and TOAST (0 for none).
SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0)::bigint AS bytes
FROM unnest(%(tables)s::text[]) t;

-- name: inserted_rows
-- Rows ever inserted into some tables, from the statistics (deletes do not lower it). A
-- backend reports its counts when its transaction ends, at most once a second, and at exit.
SELECT coalesce(sum(n_tup_ins), 0)::bigint AS n
FROM pg_stat_user_tables WHERE relname = ANY(%(tables)s);
