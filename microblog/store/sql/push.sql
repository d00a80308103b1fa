-- Push feeds (strategies fanout and hybrid). Each strategy has its own pair of tables,
-- named in the {state} and {chunks} slots (fanout: feed_state and feed_chunks; hybrid:
-- hybrid_feed_state and hybrid_feed_chunks), so one's rebuild never touches the other's.
-- A reader with a {state} row has in {chunks} every post of the accounts they follow
-- with id > floor (once the queue has drained); floor = MAX_ID while a feed is being built.
-- A chunk holds up to MICROBLOG_FEED_CHUNK of one reader's post ids, newest first, between its bottom
-- and top (migration 0011); an id may sit in two chunks, and reads drop the repeat.
-- Chunks are written sorted by reader: concurrent writers meet the same rows in one order.

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
-- Of the chunks that meet the window, newest first, only those before the first one with
-- `want` ids above it are unnested (all of them for want = NULL); DISTINCT drops an id two
-- chunks hold. The last row, id NULL, gives `cut`: the newest top among the chunks left
-- out (NULL for none). The page is complete when it is full and all of it is above the
-- cut (every id left out is at or below it); else the caller asks again with want NULL.
WITH meeting AS (
    SELECT c.post_ids, c.top,
           sum(cardinality(c.post_ids)) OVER (ORDER BY c.top DESC ROWS UNBOUNDED PRECEDING)
               - cardinality(c.post_ids) AS above_it
    FROM {chunks} c
    WHERE c.user_id = %(reader_id)s AND c.top > %(above)s AND c.bottom < %(below)s
)
(SELECT id, NULL::bigint AS cut FROM (
    (SELECT e.id FROM (
         SELECT DISTINCT x.id
         FROM meeting m CROSS JOIN LATERAL unnest(m.post_ids) AS x(id)
         WHERE (m.above_it < %(want)s OR %(want)s IS NULL)
           AND x.id > %(above)s AND x.id < %(below)s
         ORDER BY x.id {order}
     ) e
     JOIN posts p ON p.id = e.id
     WHERE {home_visible}
     ORDER BY e.id {order}
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
LIMIT %(limit)s)
UNION ALL
SELECT NULL, max(top) FROM meeting WHERE above_it >= %(want)s;

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
-- One statement for a batch of posts: one chunk per follower with a feed above the post's
-- id, or a feed still being built (its build may have read the posts before this one
-- committed), holding the batch's posts that follower gets. Celebrities' posts are skipped
-- when skip_celebrities. A retried job of the same batch merges into the chunk it wrote.
INSERT INTO {chunks} AS c (user_id, top, bottom, post_ids)
SELECT f.follower_id, max(p.id), min(p.id), array_agg(p.id ORDER BY p.id DESC)
FROM posts p
JOIN follows f ON f.followed_id = p.author_id
JOIN {state} s ON s.user_id = f.follower_id AND (p.id > s.floor OR s.floor = %(max_id)s)
WHERE p.id = ANY(%(post_ids)s)
  AND NOT (%(skip_celebrities)s
           AND EXISTS (SELECT 1 FROM celebrities c WHERE c.user_id = p.author_id))
GROUP BY f.follower_id
ORDER BY 1
ON CONFLICT (user_id, top) DO UPDATE
SET post_ids = microblog_merge_ids(c.post_ids, excluded.post_ids),
    bottom = least(c.bottom, excluded.bottom);

-- name: backfill
-- The posts of an author that belong in each listed reader's feed (above its floor, or any
-- for a feed being built), at most cap of them, in chunks. When an author has more,
-- raise_floor moves the floor up to them.
INSERT INTO {chunks} AS c (user_id, top, bottom, post_ids)
SELECT user_id, max(id), min(id), array_agg(id ORDER BY id DESC)
FROM (
    SELECT s.user_id, p.id,
           (row_number() OVER (PARTITION BY s.user_id ORDER BY p.id DESC) - 1) / %(chunk)s
               AS part
    FROM {state} s
    CROSS JOIN LATERAL (
        SELECT id FROM posts
        WHERE author_id = %(author_id)s
          AND id > CASE WHEN s.floor = %(max_id)s THEN 0 ELSE s.floor END
        ORDER BY id DESC
        LIMIT %(cap)s
    ) p
    WHERE s.user_id = ANY(%(reader_ids)s)
) parts
GROUP BY user_id, part
ORDER BY 1, 2
ON CONFLICT (user_id, top) DO UPDATE
SET post_ids = microblog_merge_ids(c.post_ids, excluded.post_ids),
    bottom = least(c.bottom, excluded.bottom);

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
UPDATE {chunks} c
SET post_ids = ARRAY(SELECT x FROM unnest(c.post_ids) x
                     WHERE NOT EXISTS (SELECT 1 FROM posts p
                                       WHERE p.id = x AND p.author_id = %(author_id)s))
WHERE c.user_id = %(reader_id)s
  AND EXISTS (SELECT 1 FROM unnest(c.post_ids) x JOIN posts p ON p.id = x
              WHERE p.author_id = %(author_id)s);

-- name: unpush
-- After a delete: the post leaves the feeds of the author's followers (the chunks whose
-- bounds hold it).
UPDATE {chunks} c SET post_ids = array_remove(c.post_ids, %(post_id)s::bigint)
FROM follows f
WHERE f.followed_id = %(author_id)s AND c.user_id = f.follower_id
  AND c.top >= %(post_id)s AND c.bottom <= %(post_id)s
  AND c.post_ids @> ARRAY[%(post_id)s::bigint];

-- name: author_post_ids
-- Up to limit of an author's post ids (drop_posts takes them when there are few).
SELECT id FROM posts WHERE author_id = %(author_id)s ORDER BY id DESC LIMIT %(limit)s;

-- name: drop_posts
-- An account is being deleted (in its transaction, before its posts and follows go): its
-- posts leave its followers' feeds, all in one statement, when it has few posts.
UPDATE {chunks} c
SET post_ids = ARRAY(SELECT x FROM unnest(c.post_ids) x WHERE x <> ALL(%(post_ids)s))
FROM follows f
WHERE f.followed_id = %(author_id)s AND c.user_id = f.follower_id
  AND c.post_ids && %(post_ids)s::bigint[];

-- name: drop_author
-- The same for an account with more posts than a feed holds: each follower's chunks
-- between the account's first and last post are walked once and each id's author is
-- looked up by primary key (a subquery the planner cannot turn into a join), so the work is
-- bounded by followers x feed size. As a join, the generic plan paired every post with every
-- follower (20 M probes, 96 s, for 10,000 posts and 2,000 followers; this form: 4 s).
WITH span AS (
    SELECT min(id) AS low, max(id) AS high FROM posts WHERE author_id = %(author_id)s
), kept AS (
    SELECT c.user_id, c.top, cardinality(c.post_ids) AS had,
           ARRAY(SELECT x FROM unnest(c.post_ids) x
                 WHERE (SELECT p.author_id FROM posts p WHERE p.id = x)
                       IS DISTINCT FROM %(author_id)s) AS ids
    FROM follows f
    JOIN {chunks} c ON c.user_id = f.follower_id
    CROSS JOIN span
    WHERE f.followed_id = %(author_id)s AND c.top >= span.low AND c.bottom <= span.high
)
UPDATE {chunks} c SET post_ids = kept.ids
FROM kept
WHERE c.user_id = kept.user_id AND c.top = kept.top AND cardinality(kept.ids) < kept.had;

-- name: fill
-- Build a claimed feed: the reader's newest cap + 1 posts in chunks; the extra one becomes
-- the floor. Fan-outs since the claim may have written chunks already: same tops merge.
WITH top AS (
    SELECT post_id FROM microblog_feed_top(%(reader_id)s, %(cap)s + 1, %(max_id)s)
), inserted AS (
    INSERT INTO {chunks} AS c (user_id, top, bottom, post_ids)
    SELECT %(reader_id)s, max(post_id), min(post_id), array_agg(post_id ORDER BY post_id DESC)
    FROM (SELECT post_id, (row_number() OVER (ORDER BY post_id DESC) - 1) / %(chunk)s AS part
          FROM top) parts
    GROUP BY part
    ORDER BY 2
    ON CONFLICT (user_id, top) DO UPDATE
    SET post_ids = microblog_merge_ids(c.post_ids, excluded.post_ids),
        bottom = least(c.bottom, excluded.bottom)
)
UPDATE {state}
SET floor = CASE WHEN (SELECT count(*) FROM top) > %(cap)s
                 THEN (SELECT min(post_id) FROM top) ELSE 0 END,
    built_at = now()
WHERE user_id = %(reader_id)s AND floor = %(max_id)s;

-- name: trim
-- Keep each feed to its newest cap entries: the floor moves up to the (cap + 1)-th newest,
-- and entries at or below the previous floor go (one pass later than the floor moved, so a
-- read that fetched the old floor a moment ago still finds its entries): chunks wholly
-- below it are deleted, the one or two across it cut.
WITH batch AS (
    SELECT user_id, floor FROM {state}
    WHERE user_id > %(after)s AND floor < %(max_id)s
    ORDER BY user_id
    LIMIT %(batch)s
), deleted AS (
    DELETE FROM {chunks} c
    USING batch b
    WHERE c.user_id = b.user_id AND c.top <= b.floor
), cut AS (
    UPDATE {chunks} c
    SET post_ids = ARRAY(SELECT x FROM unnest(c.post_ids) x WHERE x > b.floor),
        bottom = b.floor + 1
    FROM batch b
    WHERE c.user_id = b.user_id AND c.top > b.floor AND c.bottom <= b.floor
), raised AS (
    UPDATE {state} s
    SET floor = cut.id
    FROM (
        SELECT b.user_id, (
            SELECT DISTINCT x FROM {chunks} c, unnest(c.post_ids) x
            WHERE c.user_id = b.user_id
            ORDER BY x DESC
            OFFSET %(cap)s LIMIT 1
        ) AS id
        FROM batch b
    ) cut
    WHERE s.user_id = cut.user_id AND cut.id > s.floor
)
SELECT max(user_id) AS last FROM batch;

-- name: compact
-- Readers (by user id after `after`, a batch of them) whose feed is spread over more than
-- max_chunks chunks (a fan-out writes one per batch of posts) get theirs rewritten as full
-- chunks, without repeats or ids at or below the floor. A reader whose follows or build
-- are changing (its lock is held) is skipped: their statements must see the rewrite.
WITH batch AS (
    SELECT user_id, floor FROM {state}
    WHERE user_id > %(after)s AND floor < %(max_id)s
    ORDER BY user_id
    LIMIT %(batch)s
), crowded AS (
    SELECT b.user_id, b.floor FROM batch b
    WHERE CASE WHEN (SELECT count(*) FROM {chunks} c WHERE c.user_id = b.user_id)
                    > %(max_chunks)s
               THEN pg_try_advisory_xact_lock(-b.user_id) ELSE false END
), gone AS (
    DELETE FROM {chunks} c USING crowded r
    WHERE c.user_id = r.user_id
    RETURNING c.user_id, c.post_ids, r.floor
), parts AS (
    SELECT user_id, x,
           (row_number() OVER (PARTITION BY user_id ORDER BY x DESC) - 1) / %(chunk)s AS part
    FROM (SELECT DISTINCT g.user_id, x FROM gone g, unnest(g.post_ids) x WHERE x > g.floor) ids
)
INSERT INTO {chunks} AS c (user_id, top, bottom, post_ids)
SELECT user_id, max(x), min(x), array_agg(x ORDER BY x DESC)
FROM parts
GROUP BY user_id, part
ORDER BY 1, 2
ON CONFLICT (user_id, top) DO UPDATE
SET post_ids = microblog_merge_ids(c.post_ids, excluded.post_ids),
    bottom = least(c.bottom, excluded.bottom);

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
DELETE FROM {chunks} c USING gone WHERE c.user_id = gone.user_id;

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
DELETE FROM {chunks} c WHERE c.user_id = %(reader_id)s;

-- name: forget_all
TRUNCATE {state}, {chunks};

-- name: delivered
-- Entries that hold some posts, in every feed (a full scan: for the benchmark).
SELECT count(*) AS n FROM {chunks} c, unnest(c.post_ids) x WHERE x = ANY(%(post_ids)s);

-- name: entries
-- Entries in the feeds (a full scan: for reports).
SELECT coalesce(sum(cardinality(post_ids)), 0)::bigint AS n FROM {chunks};

-- name: forget_celebrities
TRUNCATE celebrities;
