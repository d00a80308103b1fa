"""The feed engine: the one entry point for reading feeds and reporting changes to them."""

from __future__ import annotations

from dataclasses import dataclass

from microblog.domain.models import FeedMode
from microblog.feeds.base import FeedStrategy, Window
from microblog.store.db import Conn


@dataclass(frozen=True, slots=True)
class IdPage:
    """Post ids of one page, newest first, and the cursor of the next (older) page."""

    ids: list[int]
    next_max_id: int | None


class FeedEngine:
    """Pages feeds through the configured strategy and forwards change events to it."""

    def __init__(self, strategy: FeedStrategy) -> None:
        self.strategy = strategy

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> IdPage:
        """One page; one more id than needed is read to know whether an older page exists."""
        if window.oldest_first:
            ids = await self.strategy.page(conn, reader_id, mode, window, limit)
            # The page right after min_id: whether older posts exist is known (min_id is one).
            older = ids[-1] if ids else None
            return IdPage(ids, older)
        ids = await self.strategy.page(conn, reader_id, mode, window, limit + 1)
        if len(ids) > limit:
            return IdPage(ids[:limit], ids[limit - 1])
        return IdPage(ids, None)

    async def post_created(
        self, conn: Conn, post_id: int, author_id: int, parent_id: int | None
    ) -> None:
        """Forward: a post was created."""
        await self.strategy.post_created(conn, post_id, author_id, parent_id)

    async def post_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Forward: a post was deleted."""
        await self.strategy.post_deleted(conn, post_id, author_id)

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Forward: a follow was added."""
        await self.strategy.followed(conn, follower_id, followed_id)

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Forward: a follow was removed."""
        await self.strategy.unfollowed(conn, follower_id, followed_id)

    async def close(self) -> None:
        """Release the strategy's resources."""
        await self.strategy.close()
