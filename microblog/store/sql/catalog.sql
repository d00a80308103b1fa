-- Questions about the database itself, asked by the feed tools and the benchmark.

-- name: size_bytes
-- Bytes on disk of some relations, with their indexes and TOAST (0 for none).
SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0)::bigint AS bytes
FROM unnest(%(tables)s::text[]) t;

-- name: row_count
-- Rows of one relation (exact; for the benchmark's before/after counts).
SELECT count(*) AS n FROM {table};
