-- The outbox of new posts waiting for their background work (fan-out, cache invalidation).
-- A post is in it exactly when its transaction committed and no job has finished its work.
-- Two queues share it: posts of authors with many followers wait as large, and only the
-- jobs of their queue take them.

-- name: outbox_put
-- A new post waits in the outbox until a job takes it (in the post's transaction), in the
-- large queue when its author has at least large_followers followers (NULL: never). The
-- author's row is already locked by the post's insert (its posts_count), so the count read
-- is the one the post commits with.
INSERT INTO feed_outbox (post_id, large)
SELECT %(post_id)s, coalesce(followers_count >= %(large_followers)s::int, false)
FROM users WHERE id = %(author_id)s
ON CONFLICT DO NOTHING
RETURNING large;

-- name: outbox_hold_and_wake
-- The post's transaction, right before it makes sure a job of its queue is waiting: a share
-- of the queue's lock, held until it commits. Shares never wait for each other; a job that
-- found its queue empty takes the lock whole (outbox_settle) and so waits for these commits.
-- Key: the outbox table's oid and the queue (two int4 keys: apart from the author and
-- reader locks, which are single bigint keys). The last lock a post's transaction takes.
-- Then (the lock first: "held" is read before anything else) whether the queue's job
-- waits to start (procrastinate's queueing lock is unique among its jobs still
-- 'todo'), and if it does, outbox_wake's wake-up: what a post's transaction does most of the
-- time, in one round trip. When none waits the post queues one (a race with another post
-- that queued it meanwhile is caught there, as before).
WITH held AS (
    SELECT pg_advisory_xact_lock_shared('feed_outbox'::regclass::oid::int, %(large)s::int)
), found AS (
    SELECT EXISTS (SELECT 1 FROM procrastinate_jobs
                   WHERE queueing_lock = %(lock)s AND status = 'todo') AS waiting
    FROM held
)
SELECT waiting,
       (SELECT count(pg_notify(channel, %(payload)s))
        FROM unnest(%(channels)s::text[]) AS channel WHERE waiting) AS woken
FROM found;

-- name: outbox_settle_timeout
-- How long outbox_settle may wait, for the rest of its transaction: a post transaction never
-- runs that long, and the job then queues another instead of waiting more.
SELECT set_config('lock_timeout', %(timeout)s, true);

-- name: outbox_settle
-- A job that found its queue empty waits for the posts in flight that found it waiting
-- (and so queued no job of their own): once they commit, it looks at the outbox again.
SELECT pg_advisory_xact_lock('feed_outbox'::regclass::oid::int, %(large)s::int);

-- name: outbox_wake
-- A post that found its queue's job waiting wakes the queue's workers all the same (when it
-- commits), as the job's insert did: a worker may have missed that wake-up (procrastinate
-- 3.10 drops one that arrives while a fetch finding nothing is in flight), and with one job
-- waiting per queue no later post inserts another to say it again.
SELECT pg_notify(channel, %(payload)s) FROM unnest(%(channels)s::text[]) AS channel;

-- name: outbox_take
-- The posts this job processes, taken out of the outbox in its transaction: these ones (a
-- job queued before there were queues names its posts) and the oldest others waiting in
-- the job's queue, up to batch, skipping those another job holds (that job's commit
-- finishes them, and a worker never waits for another). Several posts per fan-out statement
-- write each follower's index page once for all of them instead of once per post, and their
-- followers' cached pages are invalidated once.
DELETE FROM feed_outbox
WHERE post_id IN (SELECT post_id FROM feed_outbox WHERE post_id = ANY(%(post_ids)s)
                  FOR UPDATE SKIP LOCKED)
   OR post_id IN (SELECT post_id FROM feed_outbox WHERE large = %(large)s
                  ORDER BY post_id LIMIT %(batch)s
                  FOR UPDATE SKIP LOCKED)
RETURNING post_id;

-- name: outbox_waiting
-- Whether any post waits in the queue (held by a job or not).
SELECT EXISTS (SELECT 1 FROM feed_outbox WHERE large = %(large)s) AS waiting;

-- name: outbox_drop_author
-- An account is being deleted: its posts still waiting leave the outbox with it (their jobs
-- then find nothing to do). Taken before any author lock, as a fan-out takes these rows.
DELETE FROM feed_outbox o
USING posts p
WHERE p.id = o.post_id AND p.author_id = %(author_id)s;
