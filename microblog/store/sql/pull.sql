-- The pull strategy's queries: post ids of one feed page, computed from posts and follows.
-- {order} is ASC or DESC (composed by the caller, never from input); every value is a
-- parameter. Pages take ids strictly between %(above)s and %(below)s.

-- name: network_scan
-- Walk posts newest first and keep those by followed authors (and the reader, when
-- include_self): cheap when the reader follows many authors, because matches come soon.
SELECT p.id FROM posts p
WHERE p.id < %(below)s AND p.id > %(above)s
  AND ((%(include_self)s AND p.author_id = %(reader_id)s)
       OR EXISTS (SELECT 1 FROM follows f
                  WHERE f.follower_id = %(reader_id)s AND f.followed_id = p.author_id))
ORDER BY p.id {order}
LIMIT %(limit)s;

-- name: network_merge
-- Take each followed author's newest posts from (author_id, id) and merge them: cheap when
-- the reader follows few authors, however rarely they post.
SELECT p.id FROM (
    SELECT f.followed_id AS author_id FROM follows f WHERE f.follower_id = %(reader_id)s
    UNION ALL
    SELECT %(reader_id)s WHERE %(include_self)s
) a
CROSS JOIN LATERAL (
    SELECT id FROM posts
    WHERE author_id = a.author_id AND id < %(below)s AND id > %(above)s
    ORDER BY id {order}
    LIMIT %(limit)s
) p
ORDER BY p.id {order}
LIMIT %(limit)s;

-- name: author
SELECT id FROM posts
WHERE author_id = %(author_id)s AND id < %(below)s AND id > %(above)s
ORDER BY id {order}
LIMIT %(limit)s;

-- name: public
SELECT id FROM posts
WHERE parent_id IS NULL AND id < %(below)s AND id > %(above)s
ORDER BY id {order}
LIMIT %(limit)s;
