-- The demo of `make run` (microblog/demo): the bulk-seeded network moved to the present,
-- display names, and the dates of what the demo's script did through the service.

-- name: warp_users
-- Joined before the (moved) posts begin, active in the days before the demo's "now". The
-- right-hand sides read the old values, so updated_at = the new created_at.
UPDATE users
SET created_at = created_at + %(joined_shift)s,
    updated_at = created_at + %(joined_shift)s,
    last_active_at = last_active_at + %(active_shift)s;

-- name: warp_posts
-- The seeded window (seeding.POSTS_START .. EPOCH_END) mapped linearly onto
-- (start .. end): id order stays time order.
UPDATE posts
SET created_at = %(end)s - (%(epoch_end)s - created_at) * %(scale)s::float8,
    updated_at = %(end)s - (%(epoch_end)s - created_at) * %(scale)s::float8;

-- name: warp_follows
UPDATE follows SET created_at = %(at)s, updated_at = %(at)s;

-- name: display_names
UPDATE users u
SET display_name = n.name
FROM unnest(%(ids)s::bigint[], %(names)s::text[]) AS n (id, name)
WHERE u.id = n.id;

-- name: backdate_posts
UPDATE posts p
SET created_at = d.at, updated_at = d.at
FROM unnest(%(ids)s::bigint[], %(ats)s::timestamptz[]) AS d (id, at)
WHERE p.id = d.id;

-- name: backdate_favourites
UPDATE favourites f
SET created_at = d.at
FROM unnest(%(users)s::bigint[], %(posts)s::bigint[], %(ats)s::timestamptz[])
    AS d (user_id, post_id, at)
WHERE f.user_id = d.user_id AND f.post_id = d.post_id;

-- name: backdate_follows
UPDATE follows f
SET created_at = d.at, updated_at = d.at
FROM unnest(%(followers)s::bigint[], %(followed)s::bigint[], %(ats)s::timestamptz[])
    AS d (follower_id, followed_id, at)
WHERE f.follower_id = d.follower_id AND f.followed_id = d.followed_id;

-- name: backdate_notifications
-- A notification is dated by what caused it: the mentioning post, the favourite, the boost
-- (a post of the booster's that boosts the notified post) or the follow.
UPDATE notifications n
SET created_at = coalesce(
    CASE n.type
        WHEN 'mention' THEN (SELECT p.created_at FROM posts p WHERE p.id = n.post_id)
        WHEN 'favourite' THEN (SELECT f.created_at FROM favourites f
                               WHERE f.user_id = n.from_id AND f.post_id = n.post_id)
        WHEN 'reblog' THEN (SELECT b.created_at FROM posts b
                            WHERE b.reblog_of_id = n.post_id AND b.author_id = n.from_id)
        WHEN 'follow' THEN (SELECT f.created_at FROM follows f
                            WHERE f.follower_id = n.from_id AND f.followed_id = n.user_id)
    END,
    n.created_at);
