"""Notifications: written by the verbs that cause them, read and dismissed by their owner."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import DictRow

from microblog.domain.types import Window
from microblog.store.db import Conn, all_rows, execute, one, ordered
from microblog.store.queries import load

SQL = load("notifications")
TYPES = ("follow", "mention", "favourite", "reblog")
UNREAD_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Notification:
    """What ``from_id`` did to the recipient, about ``post_id`` (None for a follow)."""

    id: int
    type: str
    from_id: int
    post_id: int | None
    created_at: datetime


def _row(row: DictRow) -> Notification:
    return Notification(row["id"], row["type"], row["from_id"], row["post_id"], row["created_at"])


async def notify(
    conn: Conn, user_ids: Collection[int], from_id: int, kind: str, post_id: int | None = None
) -> list[tuple[int, int]]:
    """Notify each of ``user_ids`` (but oneself, a blocked, blocking or muting account);
    (notification id, recipient) of each notification made."""
    if not user_ids:
        return []
    params = {"user_ids": list(user_ids), "from_id": from_id, "type": kind, "post_id": post_id}
    rows = await all_rows(conn, SQL["notify"], params)
    return [(row["id"], row["user_id"]) for row in rows]


async def retract(
    conn: Conn, user_ids: Collection[int], from_id: int, kind: str, post_id: int | None = None
) -> None:
    """Take back the notifications an undone action sent."""
    params = {"user_ids": list(user_ids), "from_id": from_id, "type": kind, "post_id": post_id}
    await execute(conn, SQL["retract"], params)


async def page(
    conn: Conn,
    user_id: int,
    window: Window,
    limit: int,
    types: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Notification]:
    """A page of a user's shown notifications, newest first."""
    params = {
        "user_id": user_id,
        "above": window.above,
        "below": window.below,
        "limit": limit,
        "types": list(types),
        "exclude": list(exclude),
    }
    rows = await all_rows(conn, ordered(SQL["page"], not window.oldest_first), params)
    found = [_row(row) for row in rows]
    return found[::-1] if window.oldest_first else found


async def get(conn: Conn, user_id: int, notification_id: int) -> Notification | None:
    """One shown notification of the user's."""
    row = await one(conn, SQL["one"], {"user_id": user_id, "id": notification_id})
    return None if row is None else _row(row)


async def unread(conn: Conn, user_id: int) -> int:
    """Shown notifications newer than the last one read (at most ``UNREAD_LIMIT``)."""
    row = await one(conn, SQL["unread"], {"user_id": user_id, "limit": UNREAD_LIMIT})
    return 0 if row is None else int(row["n"])


MARKERS = ("home", "notifications")


async def markers(conn: Conn, user_id: int) -> dict[str, int]:
    """Where the user stopped reading: {"home": post id, "notifications": notification id}."""
    row = await one(conn, SQL["markers"], {"user_id": user_id})
    if row is None:
        return {name: 0 for name in MARKERS}
    return {"home": int(row["home_read_id"]), "notifications": int(row["notifications_read_id"])}


async def mark_read(conn: Conn, user_id: int, upto: int, timeline: str = "notifications") -> None:
    """The user has read ``timeline`` up to ``upto`` (a marker never moves back)."""
    query = SQL["mark_read"] if timeline == "notifications" else SQL["mark_home_read"]
    await execute(conn, query, {"user_id": user_id, "upto": upto})


async def dismiss(conn: Conn, user_id: int, notification_id: int) -> bool:
    """Delete one of the user's notifications; whether it existed."""
    params = {"user_id": user_id, "id": notification_id}
    return await one(conn, SQL["dismiss"], params) is not None


async def clear(conn: Conn, user_id: int) -> None:
    """Delete every notification of the user's."""
    await execute(conn, SQL["clear"], {"user_id": user_id})


async def clear_from(conn: Conn, user_id: int, from_id: int) -> None:
    """Delete the user's notifications from one account (a block)."""
    await execute(conn, SQL["clear_from"], {"user_id": user_id, "from_id": from_id})
