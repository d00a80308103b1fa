"""Blocks, mutes, favourites and bookmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import LiteralString

from microblog.domain.models import Relations, User
from microblog.store.db import Conn, all_rows, one
from microblog.store.queries import load
from microblog.store.users import to_user

SQL = load("social")


@dataclass(frozen=True, slots=True)
class Listed:
    """One row of a list paged by its own id: the row's id (the cursor) and what it names."""

    row_id: int
    item: int


async def _changed(conn: Conn, name: LiteralString, **params: object) -> bool:
    return await one(conn, SQL[name], params) is not None


async def block(conn: Conn, user_id: int, target_id: int) -> bool:
    """Add a block; False when it existed."""
    return await _changed(conn, "block", user_id=user_id, target_id=target_id)


async def unblock(conn: Conn, user_id: int, target_id: int) -> bool:
    """Remove a block; False when there was none."""
    return await _changed(conn, "unblock", user_id=user_id, target_id=target_id)


async def mute(conn: Conn, user_id: int, target_id: int, notifications: bool) -> None:
    """Add (or change) a mute."""
    await _changed(conn, "mute", user_id=user_id, target_id=target_id, notifications=notifications)


async def unmute(conn: Conn, user_id: int, target_id: int) -> bool:
    """Remove a mute; False when there was none."""
    return await _changed(conn, "unmute", user_id=user_id, target_id=target_id)


async def blocked_either(conn: Conn, a: int, b: int) -> bool:
    """Whether either account blocks the other."""
    row = await one(conn, SQL["blocked_either"], {"a": a, "b": b})
    return bool(row and row["yes"])


async def relations(conn: Conn, user_id: int, ids: Sequence[int]) -> dict[int, Relations]:
    """The blocks and mutes between ``user_id`` and each of ``ids``."""
    rows = await all_rows(conn, SQL["relations"], {"user_id": user_id, "ids": list(ids)})
    return {
        row["id"]: Relations(
            row["blocking"], row["blocked_by"], row["muting"], row["muting_notifications"]
        )
        for row in rows
    }


async def _users(
    conn: Conn, name: LiteralString, max_id: int, limit: int, **params: object
) -> list[tuple[int, User]]:
    rows = await all_rows(conn, SQL[name], {"max_id": max_id, "limit": limit, **params})
    return [(row["row_id"], to_user(row)) for row in rows]


async def blocked(conn: Conn, user_id: int, max_id: int, limit: int) -> list[tuple[int, User]]:
    """(block id, account) of the accounts a user blocks, newest block first."""
    return await _users(conn, "blocks_page", max_id, limit, user_id=user_id)


async def muted(conn: Conn, user_id: int, max_id: int, limit: int) -> list[tuple[int, User]]:
    """(mute id, account) of the accounts a user mutes, newest mute first."""
    return await _users(conn, "mutes_page", max_id, limit, user_id=user_id)


async def favourited_by(
    conn: Conn, post_id: int, max_id: int, limit: int
) -> list[tuple[int, User]]:
    """(favourite id, account) of those who favourited a post, newest first."""
    return await _users(conn, "favourited_by", max_id, limit, post_id=post_id)


async def reblogged_by(conn: Conn, post_id: int, max_id: int, limit: int) -> list[tuple[int, User]]:
    """(boost id, account) of those who boosted a post, newest first."""
    return await _users(conn, "reblogged_by", max_id, limit, post_id=post_id)


async def favourite(conn: Conn, user_id: int, post_id: int) -> bool:
    """Add a favourite; False when it existed."""
    return await _changed(conn, "favourite", user_id=user_id, post_id=post_id)


async def unfavourite(conn: Conn, user_id: int, post_id: int) -> bool:
    """Remove a favourite; False when there was none."""
    return await _changed(conn, "unfavourite", user_id=user_id, post_id=post_id)


async def bookmark(conn: Conn, user_id: int, post_id: int) -> bool:
    """Add a bookmark; False when it existed."""
    return await _changed(conn, "bookmark", user_id=user_id, post_id=post_id)


async def unbookmark(conn: Conn, user_id: int, post_id: int) -> bool:
    """Remove a bookmark; False when there was none."""
    return await _changed(conn, "unbookmark", user_id=user_id, post_id=post_id)


async def _posts(
    conn: Conn, name: LiteralString, user_id: int, max_id: int, limit: int
) -> list[Listed]:
    params = {"user_id": user_id, "max_id": max_id, "limit": limit}
    rows = await all_rows(conn, SQL[name], params)
    return [Listed(row["row_id"], row["post_id"]) for row in rows]


async def favourites(conn: Conn, user_id: int, max_id: int, limit: int) -> list[Listed]:
    """A user's favourites, newest first."""
    return await _posts(conn, "favourites_page", user_id, max_id, limit)


async def bookmarks(conn: Conn, user_id: int, max_id: int, limit: int) -> list[Listed]:
    """A user's bookmarks, newest first."""
    return await _posts(conn, "bookmarks_page", user_id, max_id, limit)


async def direct(conn: Conn, user_id: int, max_id: int, limit: int) -> list[Listed]:
    """The direct posts a user wrote or is mentioned in, newest first."""
    return await _posts(conn, "direct_page", user_id, max_id, limit)
