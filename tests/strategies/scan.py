"""``scan``: the most naive strategy there is, one screen long, to prove the seam.

It reads every post and the reader's follows and filters them in Python: no state, no
hooks, no SQL shared with the built-in strategies. Registered from ``tests/conftest.py``
with ``register``; nothing else in the code base knows it exists.
"""

from __future__ import annotations

from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds import FeedStrategy


class ScanStrategy(FeedStrategy):
    """Every page by walking all posts."""

    name = "scan"

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """The ids of the window, newest first, taken from the end the window asks for."""
        cur = await conn.execute("SELECT id, author_id, parent_id FROM posts ORDER BY id DESC")
        posts = await cur.fetchall()
        cur = await conn.execute(
            "SELECT followed_id FROM follows WHERE follower_id = %s", (reader_id,)
        )
        followed = {row["followed_id"] for row in await cur.fetchall()}
        if mode is FeedMode.ALL:
            keep = [p["id"] for p in posts if p["parent_id"] is None]
        elif reader_id is None:
            keep = []
        else:
            authors = {
                FeedMode.MINE: {reader_id},
                FeedMode.FOLLOWING: followed - {reader_id},
                FeedMode.TIMELINE: followed | {reader_id},
            }[mode]
            keep = [p["id"] for p in posts if p["author_id"] in authors]
        inside = [i for i in keep if window.above < i < window.below]
        return inside[-limit:] if window.oldest_first else inside[:limit]
