-- The outbox of new posts waiting for their background work (fan-out, cache invalidation).
-- A post is in it exactly when its transaction committed and no job has finished its work.

-- name: outbox_put
-- A new post waits in the outbox until a job takes it (in the post's transaction).
INSERT INTO feed_outbox (post_id) VALUES (%(post_id)s) ON CONFLICT DO NOTHING;

-- name: outbox_take
-- The posts this job processes, taken out of the outbox in its transaction: these ones and
-- the oldest others waiting, up to batch, skipping those another job holds (that job's
-- commit finishes them, and a worker never waits for another). Several posts per fan-out
-- statement write each follower's index page once for all of them instead of once per
-- post, and their followers' cached pages are invalidated once.
DELETE FROM feed_outbox
WHERE post_id IN (SELECT post_id FROM feed_outbox WHERE post_id = ANY(%(post_ids)s)
                  FOR UPDATE SKIP LOCKED)
   OR post_id IN (SELECT post_id FROM feed_outbox ORDER BY post_id LIMIT %(batch)s
                  FOR UPDATE SKIP LOCKED)
RETURNING post_id;

-- name: outbox_drop_author
-- An account is being deleted: its posts still waiting leave the outbox with it (their jobs
-- then find nothing to do). Taken before any author lock, as a fan-out takes these rows.
DELETE FROM feed_outbox o
USING posts p
WHERE p.id = o.post_id AND p.author_id = %(author_id)s;
