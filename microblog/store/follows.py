"""Follows between users."""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.db import Conn, all_rows, one
from microblog.store.queries import load

SQL = load("follows")


async def follow(conn: Conn, follower_id: int, followed_id: int) -> bool:
    """Add a follow; False when it already existed."""
    params = {"follower_id": follower_id, "followed_id": followed_id}
    return await one(conn, SQL["follow"], params) is not None


async def unfollow(conn: Conn, follower_id: int, followed_id: int) -> bool:
    """Remove a follow; False when there was none."""
    params = {"follower_id": follower_id, "followed_id": followed_id}
    return await one(conn, SQL["unfollow"], params) is not None


async def following_among(conn: Conn, follower_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` the follower follows."""
    rows = await all_rows(
        conn, SQL["following_ids"], {"follower_id": follower_id, "ids": list(ids)}
    )
    return {row["followed_id"] for row in rows}


async def followers_among(conn: Conn, followed_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` follow ``followed_id``."""
    rows = await all_rows(
        conn, SQL["followed_by_ids"], {"followed_id": followed_id, "ids": list(ids)}
    )
    return {row["follower_id"] for row in rows}


async def audience(
    conn: Conn, post_ids: Sequence[int], author_ids: Sequence[int], among: Sequence[int]
) -> list[int]:
    """Those of ``among`` who follow the given posts' authors or the given authors."""
    params = {"post_ids": list(post_ids), "author_ids": list(author_ids), "among": list(among)}
    rows = await all_rows(conn, SQL["audience"], params)
    return [row["follower_id"] for row in rows]


async def lock_users(conn: Conn, *user_ids: int) -> set[int]:
    """Lock these users' rows in id order (the first lock of a follow change); those found."""
    rows = await all_rows(conn, SQL["lock_users"], {"ids": list(user_ids)})
    return {row["id"] for row in rows}


async def follower_ids(conn: Conn, followed_id: int) -> list[int]:
    """Everyone who follows ``followed_id``."""
    rows = await all_rows(conn, SQL["follower_ids"], {"followed_id": followed_id})
    return [row["follower_id"] for row in rows]
