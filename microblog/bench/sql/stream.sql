-- The streaming benchmark's queries: who reads the authors' posts live, and when each post
-- was written. Loaded by microblog/bench/stream_store.py, apart from the server's SQL.

-- name: stream_readers
-- Up to %(n)s accounts that follow at least one of the authors, in a deterministic spread.
SELECT DISTINCT f.follower_id AS id, (f.follower_id * 2654435761) %% 100003 AS spread
FROM follows f
WHERE f.followed_id = ANY(%(authors)s)
ORDER BY spread, id
LIMIT %(n)s;

-- name: stream_follows
-- (author, reader) for each of the readers who follows one of the authors.
SELECT f.followed_id AS author_id, f.follower_id AS reader_id
FROM follows f
WHERE f.followed_id = ANY(%(authors)s) AND f.follower_id = ANY(%(readers)s);

-- name: stream_created
-- When each post's transaction began (created_at is now(): at most its commit), in seconds
-- since the epoch.
SELECT id, extract(epoch FROM created_at)::float8 AS created
FROM posts
WHERE id = ANY(%(post_ids)s);
