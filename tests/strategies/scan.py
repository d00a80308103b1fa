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
        cur = await conn.execute(
            "SELECT id, author_id, parent_id, visibility, reblog_of_id, reblog_author_id"
            " FROM posts ORDER BY id DESC"
        )
        posts = await cur.fetchall()
        cur = await conn.execute(
            "SELECT followed_id FROM follows WHERE follower_id = %s", (reader_id,)
        )
        followed = {row["followed_id"] for row in await cur.fetchall()}
        # Hidden authors: those the reader mutes or blocks, and those who block the reader.
        cur = await conn.execute(
            "SELECT target_id AS a FROM mutes WHERE user_id = %(r)s"
            " UNION SELECT target_id FROM blocks WHERE user_id = %(r)s"
            " UNION SELECT user_id FROM blocks WHERE target_id = %(r)s",
            {"r": reader_id},
        )
        hidden = {row["a"] for row in await cur.fetchall()}
        cur = await conn.execute("SELECT post_id FROM mentions WHERE user_id = %s", (reader_id,))
        mentioned = {row["post_id"] for row in await cur.fetchall()}

        def shown_at_home(p: dict[str, object]) -> bool:
            direct = p["visibility"] == "direct" and p["author_id"] != reader_id
            if direct and p["id"] not in mentioned:
                return False
            if p["author_id"] in hidden or p["reblog_author_id"] in hidden:
                return False
            # Someone else's boost of the reader's own post.
            return not (p["reblog_author_id"] == reader_id and p["author_id"] != reader_id)

        if mode is FeedMode.ALL:
            keep = [
                p["id"]
                for p in posts
                if p["parent_id"] is None
                and p["reblog_of_id"] is None
                and p["visibility"] == "public"
                and p["author_id"] not in hidden
            ]
        elif reader_id is None:
            keep = []
        elif mode is FeedMode.MINE:
            keep = [p["id"] for p in posts if p["author_id"] == reader_id]
        else:
            authors = followed - {reader_id}
            if mode is FeedMode.TIMELINE:
                authors |= {reader_id}
            keep = [p["id"] for p in posts if p["author_id"] in authors and shown_at_home(p)]
        inside = [i for i in keep if window.above < i < window.below]
        return inside[-limit:] if window.oldest_first else inside[:limit]
