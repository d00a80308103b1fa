-- The worker fleet's figure (microblog bench-fleet): what it reads between and during runs.

-- name: fleet_waiting
-- How many of these posts still wait in the fan-out outbox (absent: fanned out).
SELECT count(*) FROM feed_outbox WHERE post_id = ANY(%(post_ids)s);

-- name: fleet_waiting_ids
SELECT post_id FROM feed_outbox WHERE post_id = ANY(%(post_ids)s);

-- name: fleet_outbox
SELECT count(*) FROM feed_outbox;

-- name: fleet_entries
-- Feed entries the fan-out wrote for these posts.
SELECT count(*) FROM feed_entries WHERE post_id = ANY(%(post_ids)s);

-- name: fleet_last_worker
SELECT coalesce(max(id), 0) FROM procrastinate_workers;

-- name: fleet_workers
-- Procrastinate workers registered since (a `microblog worker` serving every queue runs two).
SELECT count(*) FROM procrastinate_workers WHERE id > %(after)s;

-- name: fleet_last_job
SELECT coalesce(max(id), 0) FROM procrastinate_jobs;

-- name: fleet_jobs
-- Fan-out jobs queued after a job id, and how many of them were put back for a retry.
SELECT count(*) AS jobs, coalesce(sum(attempts), 0) AS attempts
FROM procrastinate_jobs
WHERE task_name = 'microblog:fan_out' AND id > %(after)s;
