-- Push feeds (strategies fanout and hybrid). Each strategy has its own pair of tables,
-- named in the {state} and {entries} slots (fanout: feed_state and feed_entries; hybrid:
-- hybrid_feed_state and hybrid_feed_entries), so one's rebuild never touches the other's.
-- A reader with a {state} row has in {entries} every post of the accounts they follow
-- with id > floor (once the queue has drained); floor = MAX_ID while a feed is being built.

-- name: floor
SELECT floor FROM {state} WHERE user_id = %(reader_id)s;

-- name: claim
-- First read of a reader without a feed: a state that covers nothing (the build job fills
-- it). Fan-outs include the reader from this commit on, so nothing falls between the two.
-- The reader's row is locked first: an account deleted meanwhile (a build queued just
-- before) gets no feed, where the foreign key would fail the job again and again.
INSERT INTO {state} (user_id, floor)
SELECT id, %(max_id)s FROM users WHERE id = %(reader_id)s FOR KEY SHARE
ON CONFLICT DO NOTHING
RETURNING user_id;

-- name: page
-- Entries in the window (only those whose post still exists), the reader's own posts when
-- include_self, and the posts of followed celebrities when merge_celebrities (hybrid); all
-- through home_visible (sql/filters.sql), read-time like pull's: a mute, a block or a
-- direct post hides what was fanned out before it. GROUP BY drops a celebrity's posts that
-- were fanned out before they became one.
SELECT id FROM (
    (SELECT e.post_id AS id FROM {entries} e
     JOIN posts p ON p.id = e.post_id
     WHERE e.user_id = %(reader_id)s AND e.post_id > %(above)s AND e.post_id < %(below)s
       AND {home_visible}
     ORDER BY e.post_id {order}
     LIMIT %(limit)s)
    UNION ALL
    (SELECT p.id FROM posts p
     WHERE %(include_self)s AND p.author_id = %(reader_id)s
       AND p.id > %(above)s AND p.id < %(below)s
       AND {home_visible}
     ORDER BY p.id {order}
     LIMIT %(limit)s)
    UNION ALL
    (SELECT p.id FROM celebrities c
     JOIN follows f ON f.follower_id = %(reader_id)s AND f.followed_id = c.user_id
     CROSS JOIN LATERAL (
         SELECT p.id FROM posts p
         WHERE p.author_id = c.user_id AND p.id > %(above)s AND p.id < %(below)s
           AND {home_visible}
         ORDER BY p.id {order}
         LIMIT %(limit)s
     ) p
     WHERE %(merge_celebrities)s
     ORDER BY p.id {order}
     LIMIT %(limit)s)
) merged
GROUP BY id
ORDER BY id {order}
LIMIT %(limit)s;

-- name: lock_authors
-- Fan-out, follow, unfollow and celebrity changes of one author take turns, so a fan-out
-- never misses a new follower nor writes into the feed of someone who just unfollowed.
-- Key: the author's id (positive). Taken in id order, before any reader lock.
SELECT pg_advisory_xact_lock(author_id)
FROM (SELECT DISTINCT unnest(%(author_ids)s::bigint[]) AS author_id ORDER BY 1) a;

-- name: lock_reader
-- A feed's build and the follow changes of its reader take turns, so a build never reads
-- follows that a follow or unfollow is changing (it waits, then reads them committed), and
-- a follow change never misses what a build wrote. Key: minus the reader's id, so it never
-- meets an author lock. Taken after the author locks.
SELECT pg_advisory_xact_lock(-%(reader_id)s::bigint);

-- name: authors_of
SELECT DISTINCT author_id FROM posts WHERE id = ANY(%(post_ids)s) ORDER BY author_id;

-- name: fanout
-- One statement for a batch of posts: every follower with a feed above the post's id, or a
-- feed still being built (its build may have read the posts before this one committed).
-- Celebrities' posts are skipped when skip_celebrities. Sorted to write the primary key in
-- order; a retried or duplicated job inserts nothing new.
INSERT INTO {entries} (user_id, post_id)
SELECT f.follower_id, p.id
FROM posts p
JOIN follows f ON f.followed_id = p.author_id
JOIN {state} s ON s.user_id = f.follower_id AND (p.id > s.floor OR s.floor = %(max_id)s)
WHERE p.id = ANY(%(post_ids)s)
  AND NOT (%(skip_celebrities)s
           AND EXISTS (SELECT 1 FROM celebrities c WHERE c.user_id = p.author_id))
ORDER BY 1, 2
ON CONFLICT DO NOTHING;

-- name: backfill
-- The posts of an author that belong in each listed reader's feed (above its floor, or any
-- for a feed being built), at most cap of them. When an author has more, push_raise_floor
-- moves the floor up to them.
INSERT INTO {entries} (user_id, post_id)
SELECT s.user_id, p.id
FROM {state} s
CROSS JOIN LATERAL (
    SELECT id FROM posts
    WHERE author_id = %(author_id)s
      AND id > CASE WHEN s.floor = %(max_id)s THEN 0 ELSE s.floor END
    ORDER BY id DESC
    LIMIT %(cap)s
) p
WHERE s.user_id = ANY(%(reader_ids)s)
ORDER BY 1, 2
ON CONFLICT DO NOTHING;

-- name: raise_floor
UPDATE {state} s SET floor = cut.id
FROM (
    SELECT s2.user_id, (
        SELECT id FROM posts
        WHERE author_id = %(author_id)s AND id > s2.floor
        ORDER BY id DESC
        OFFSET %(cap)s LIMIT 1
    ) AS id
    FROM {state} s2
    WHERE s2.user_id = ANY(%(reader_ids)s)
) cut
-- Only ever up: a raise that waited for another transaction's (a trim, a fill) must not
-- lower the floor that one set (its WHERE is checked again against the committed row).
WHERE s.user_id = cut.user_id AND cut.id > s.floor AND s.floor < %(max_id)s;

-- name: unmerge
-- After an unfollow: that author's posts leave the reader's feed.
DELETE FROM {entries} e
USING posts p
WHERE e.user_id = %(reader_id)s AND p.id = e.post_id AND p.author_id = %(author_id)s;

-- name: unpush
-- After a delete: the post leaves the feeds of the author's followers.
DELETE FROM {entries} e
USING follows f
WHERE f.followed_id = %(author_id)s AND e.user_id = f.follower_id AND e.post_id = %(post_id)s;

-- name: author_post_ids
-- Up to limit of an author's post ids (drop_posts takes them when there are few).
SELECT id FROM posts WHERE author_id = %(author_id)s ORDER BY id DESC LIMIT %(limit)s;

-- name: drop_posts
-- An account is being deleted (in its transaction, before its posts and follows go): its
-- posts leave its followers' feeds, all in one statement, when it has few posts: one probe
-- of the primary key per follower and post.
DELETE FROM {entries} e
USING follows f
WHERE f.followed_id = %(author_id)s AND e.user_id = f.follower_id
  AND e.post_id = ANY(%(post_ids)s);

-- name: drop_author
-- The same for an account with more posts than a feed holds: each follower's entries
-- between the account's first and last post are walked once and each one's author is
-- looked up by primary key (a subquery the planner cannot turn into a join), so the work is
-- bounded by followers x feed size. As a join, the generic plan paired every post with every
-- follower (20 M probes, 96 s, for 10,000 posts and 2,000 followers; this form: 4 s).
DELETE FROM {entries} e
USING follows f
WHERE f.followed_id = %(author_id)s AND e.user_id = f.follower_id
  AND e.post_id BETWEEN (SELECT min(id) FROM posts WHERE author_id = %(author_id)s)
                    AND (SELECT max(id) FROM posts WHERE author_id = %(author_id)s)
  AND (SELECT p.author_id FROM posts p WHERE p.id = e.post_id) = %(author_id)s;

-- name: fill
-- Build a claimed feed: the reader's newest cap + 1 posts; the extra one becomes the floor.
WITH top AS (
    SELECT post_id FROM microblog_feed_top(%(reader_id)s, %(cap)s + 1, %(max_id)s)
), inserted AS (
    INSERT INTO {entries} (user_id, post_id)
    SELECT %(reader_id)s, post_id FROM top
    ORDER BY post_id
    ON CONFLICT DO NOTHING
)
UPDATE {state}
SET floor = CASE WHEN (SELECT count(*) FROM top) > %(cap)s
                 THEN (SELECT min(post_id) FROM top) ELSE 0 END,
    built_at = now()
WHERE user_id = %(reader_id)s AND floor = %(max_id)s;

-- name: trim
-- Keep each feed to its newest cap entries: the floor moves up to the (cap + 1)-th newest,
-- and entries at or below the previous floor are deleted (one pass later than the floor
-- moved, so a read that fetched the old floor a moment ago still finds its entries).
WITH batch AS (
    SELECT user_id, floor FROM {state}
    WHERE user_id > %(after)s AND floor < %(max_id)s
    ORDER BY user_id
    LIMIT %(batch)s
), deleted AS (
    DELETE FROM {entries} e
    USING batch b
    WHERE e.user_id = b.user_id AND e.post_id <= b.floor
), raised AS (
    UPDATE {state} s
    SET floor = cut.id
    FROM (
        SELECT b.user_id, (
            SELECT e.post_id FROM {entries} e
            WHERE e.user_id = b.user_id
            ORDER BY e.post_id DESC
            OFFSET %(cap)s LIMIT 1
        ) AS id
        FROM batch b
    ) cut
    WHERE s.user_id = cut.user_id AND cut.id > s.floor
)
SELECT max(user_id) AS last FROM batch;

-- name: retire_mark
-- hybrid: readers inactive for the window stop being pushed (reads go to pull at once) ...
UPDATE {state} s SET floor = %(max_id)s, built_at = now()
FROM users u
WHERE u.id = s.user_id AND s.floor < %(max_id)s
  AND u.last_active_at < now() - make_interval(days => %(active_days)s);

-- name: retire_drop
-- ... and a pass later, their state and entries go.
WITH gone AS (
    DELETE FROM {state} s
    USING users u
    WHERE u.id = s.user_id AND s.floor = %(max_id)s
      AND s.built_at < now() - make_interval(secs => %(grace_seconds)s)
      AND u.last_active_at < now() - make_interval(days => %(active_days)s)
    RETURNING s.user_id
)
DELETE FROM {entries} e USING gone WHERE e.user_id = gone.user_id;

-- name: promote_celebrities
INSERT INTO celebrities (user_id)
SELECT id FROM users WHERE followers_count > %(threshold)s
ON CONFLICT DO NOTHING
RETURNING user_id;

-- name: celebrities_to_demote
-- Hysteresis: an account stops being a celebrity below 90%% of the threshold.
SELECT c.user_id FROM celebrities c JOIN users u ON u.id = c.user_id
WHERE u.followers_count < %(threshold)s * 0.9
ORDER BY c.user_id;

-- name: drop_celebrity
DELETE FROM celebrities WHERE user_id = %(author_id)s RETURNING user_id;

-- name: followers_with_feeds
SELECT f.follower_id FROM follows f JOIN {state} s ON s.user_id = f.follower_id
WHERE f.followed_id = %(author_id)s;

-- name: is_celebrity
SELECT 1 AS yes FROM celebrities WHERE user_id = %(author_id)s;

-- name: forget
WITH gone AS (
    DELETE FROM {state} WHERE user_id = %(reader_id)s RETURNING user_id
)
DELETE FROM {entries} e WHERE e.user_id = %(reader_id)s;

-- name: forget_all
TRUNCATE {state}, {entries};

-- name: forget_celebrities
TRUNCATE celebrities;
