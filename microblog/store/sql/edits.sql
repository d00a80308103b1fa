-- name: lock_post
-- The author's post (not a boost) to edit, locked until the edit commits.
SELECT id, parent_id FROM posts
WHERE id = %(id)s AND author_id = %(author_id)s AND reblog_of_id IS NULL
FOR UPDATE;

-- name: keep_version
-- The version an edit replaces, into the history.
INSERT INTO post_edits (post_id, content, spoiler_text, sensitive, created_at)
SELECT id, content, spoiler_text, sensitive, coalesce(edited_at, created_at)
FROM posts WHERE id = %(id)s;

-- name: edit_post
UPDATE posts
SET content = %(content)s, spoiler_text = %(spoiler_text)s, sensitive = %(sensitive)s,
    edited_at = now(), updated_at = now()
WHERE id = %(id)s;

-- name: mention_ids
SELECT user_id FROM mentions WHERE post_id = %(post_id)s ORDER BY user_id;

-- name: drop_mentions
-- The mentions an edit took out.
DELETE FROM mentions WHERE post_id = %(post_id)s AND user_id <> ALL(%(user_ids)s);

-- name: drop_tags
DELETE FROM post_tags WHERE post_id = %(post_id)s;

-- name: history
-- A post's earlier versions, oldest first.
SELECT content, spoiler_text, sensitive, created_at FROM post_edits
WHERE post_id = %(post_id)s ORDER BY id;
