-- name: create_post
INSERT INTO posts (author_id, content, parent_id)
VALUES (%(author_id)s, %(content)s, %(parent_id)s)
RETURNING id;

-- name: post_author
SELECT author_id, parent_id FROM posts WHERE id = %(id)s;

-- name: delete_post
DELETE FROM posts WHERE id = %(id)s AND author_id = %(author_id)s RETURNING id;

-- name: hydrate_posts
-- Posts by id with author, what they answer, and reply counts; the caller restores the order.
SELECT p.id, p.content, p.parent_id, p.created_at,
       (SELECT count(*) FROM posts r WHERE r.parent_id = p.id) AS replies_count,
       u.id AS author_id, u.username, u.description, u.posts_count, u.followers_count,
       u.following_count, u.created_at AS author_created_at,
       parent.author_id AS parent_author_id, pu.username AS parent_username
FROM posts p
JOIN users u ON u.id = p.author_id
LEFT JOIN posts parent ON parent.id = p.parent_id
LEFT JOIN users pu ON pu.id = parent.author_id
WHERE p.id = ANY(%(ids)s);

-- name: ancestors
-- The chain of parents of a post, nearest first (bounded against cycles and deep chains).
WITH RECURSIVE chain(id, parent_id, depth) AS (
    SELECT p.id, p.parent_id, 0 FROM posts p WHERE p.id = %(id)s
    UNION ALL
    SELECT p.id, p.parent_id, c.depth + 1
    FROM chain c JOIN posts p ON p.id = c.parent_id
    WHERE c.depth < 100
)
SELECT id FROM chain WHERE depth > 0 ORDER BY depth;

-- name: descendants
-- Replies to a post and their replies, in id order (bounded).
WITH RECURSIVE tree(id, depth) AS (
    SELECT p.id, 1 FROM posts p WHERE p.parent_id = %(id)s
    UNION ALL
    SELECT p.id, t.depth + 1
    FROM tree t JOIN posts p ON p.parent_id = t.id
    WHERE t.depth < 100
)
SELECT id FROM tree ORDER BY id LIMIT 400;

-- name: ids_by_author
SELECT id FROM posts WHERE author_id = %(author_id)s ORDER BY id;
