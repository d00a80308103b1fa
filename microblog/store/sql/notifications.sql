-- Notifications: what others did to an account (followed it, mentioned it, favourited or
-- boosted its post). Never from oneself, never across a block, never from an account the
-- recipient mutes with its notifications: checked when written, and again when read (the
-- shown_notifications view), so a block or mute hides what came before it too.

-- name: notify
INSERT INTO notifications (user_id, from_id, type, post_id)
SELECT r.id, %(from_id)s, %(type)s, %(post_id)s
FROM unnest(%(user_ids)s::bigint[]) AS r(id)
WHERE r.id <> %(from_id)s
  AND NOT EXISTS (SELECT 1 FROM blocks b
                  WHERE (b.user_id = r.id AND b.target_id = %(from_id)s)
                     OR (b.user_id = %(from_id)s AND b.target_id = r.id))
  AND NOT EXISTS (SELECT 1 FROM mutes m
                  WHERE m.user_id = r.id AND m.target_id = %(from_id)s AND m.notifications)
RETURNING id, user_id;

-- name: retract
-- An undone favourite, boost or follow takes its notification back.
DELETE FROM notifications
WHERE from_id = %(from_id)s AND type = %(type)s
  AND post_id IS NOT DISTINCT FROM %(post_id)s AND user_id = ANY(%(user_ids)s);

-- name: page
SELECT n.id, n.type, n.from_id, n.post_id, n.created_at FROM shown_notifications n
WHERE n.user_id = %(user_id)s AND n.id > %(above)s AND n.id < %(below)s
  AND (cardinality(%(types)s::text[]) = 0 OR n.type = ANY(%(types)s))
  AND NOT n.type = ANY(%(exclude)s)
ORDER BY n.id {order}
LIMIT %(limit)s;

-- name: one
SELECT n.id, n.type, n.from_id, n.post_id, n.created_at FROM shown_notifications n
WHERE n.id = %(id)s AND n.user_id = %(user_id)s;

-- name: unread
-- How many shown notifications (at most %(limit)s) are newer than the last one read.
SELECT count(*) AS n FROM (
    SELECT 1 FROM shown_notifications n
    WHERE n.user_id = %(user_id)s
      AND n.id > (SELECT notifications_read_id FROM users WHERE id = %(user_id)s)
    LIMIT %(limit)s
) unread;

-- name: markers
SELECT notifications_read_id, home_read_id FROM users WHERE id = %(user_id)s;

-- name: mark_read
UPDATE users SET notifications_read_id = greatest(notifications_read_id, %(upto)s)
WHERE id = %(user_id)s;

-- name: mark_home_read
UPDATE users SET home_read_id = greatest(home_read_id, %(upto)s) WHERE id = %(user_id)s;

-- name: dismiss
DELETE FROM notifications WHERE id = %(id)s AND user_id = %(user_id)s RETURNING id;

-- name: clear
DELETE FROM notifications WHERE user_id = %(user_id)s;

-- name: clear_from
-- A block: the blocked account's notifications to the blocker go.
DELETE FROM notifications WHERE user_id = %(user_id)s AND from_id = %(from_id)s;
