-- name: follow
INSERT INTO follows (follower_id, followed_id)
VALUES (%(follower_id)s, %(followed_id)s)
ON CONFLICT DO NOTHING
RETURNING follower_id;

-- name: unfollow
DELETE FROM follows WHERE follower_id = %(follower_id)s AND followed_id = %(followed_id)s
RETURNING follower_id;

-- name: following_ids
-- Which of the given users the reader follows.
SELECT followed_id FROM follows
WHERE follower_id = %(follower_id)s AND followed_id = ANY(%(ids)s);

-- name: followed_by_ids
-- Which of the given users follow the reader.
SELECT follower_id FROM follows
WHERE followed_id = %(followed_id)s AND follower_id = ANY(%(ids)s);

-- name: audience
-- Readers among these whose feeds show posts of these posts' authors (or of these authors).
SELECT DISTINCT f.follower_id
FROM follows f
WHERE f.followed_id IN (
    SELECT author_id FROM posts WHERE id = ANY(%(post_ids)s)
    UNION
    SELECT unnest(%(author_ids)s::bigint[])
)
  AND f.follower_id = ANY(%(among)s);

-- name: lock_users
-- Lock both users rows of a follow change in id order, before the counter trigger updates
-- them (follower first, then followed): u -> v and v -> u at once would otherwise lock the
-- same two rows in opposite orders and deadlock. The ids found are returned.
SELECT id FROM users WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE;

-- name: follower_ids
-- Everyone who follows an account (whose cached pages may show its posts).
SELECT follower_id FROM follows WHERE followed_id = %(followed_id)s;
