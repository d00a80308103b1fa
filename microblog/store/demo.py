"""The demo of ``make run`` (``microblog.demo``): the seeded network moved to the present,
display names, and the dates of what the demo's script did through the service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from microblog.store.db import Conn, execute
from microblog.store.queries import load

SQL = load("demo")


async def warp(
    conn: Conn,
    seeded: tuple[datetime, datetime],
    start: datetime,
    end: datetime,
    active_until: datetime,
) -> None:
    """Move the bulk-seeded rows from the ``seeded`` window (its posts' start and end) to
    ``start .. end``: posts linearly (id order stays time order), users by as much as their
    posts begin later (they joined before), their activity to end at ``active_until``, and
    every follow to ``start``."""
    seeded_start, seeded_end = seeded
    scale = (end - start) / (seeded_end - seeded_start)
    async with conn.transaction():
        await execute(
            conn,
            SQL["warp_users"],
            {"joined_shift": start - seeded_start, "active_shift": active_until - seeded_end},
        )
        await execute(
            conn, SQL["warp_posts"], {"end": end, "epoch_end": seeded_end, "scale": scale}
        )
        await execute(conn, SQL["warp_follows"], {"at": start})


async def set_display_names(conn: Conn, names: dict[int, str]) -> None:
    """Give the users of ``names`` (id → name) their display names."""
    await execute(conn, SQL["display_names"], {"ids": list(names), "names": list(names.values())})


async def backdate(
    conn: Conn,
    posts: Sequence[tuple[int, datetime]],
    favourites: Sequence[tuple[int, int, datetime]],
    follows: Sequence[tuple[int, int, datetime]],
) -> None:
    """Date posts (id, at), favourites (user, post, at) and follows (follower, followed, at)
    as given, then every notification as what caused it, in one transaction."""
    async with conn.transaction():
        await execute(
            conn,
            SQL["backdate_posts"],
            {"ids": [p for p, _ in posts], "ats": [at for _, at in posts]},
        )
        await execute(
            conn,
            SQL["backdate_favourites"],
            {
                "users": [u for u, _, _ in favourites],
                "posts": [p for _, p, _ in favourites],
                "ats": [at for _, _, at in favourites],
            },
        )
        await execute(
            conn,
            SQL["backdate_follows"],
            {
                "followers": [a for a, _, _ in follows],
                "followed": [b for _, b, _ in follows],
                "ats": [at for _, _, at in follows],
            },
        )
        await execute(conn, SQL["backdate_notifications"], {})
