"""One write's work for the feed engine, driven by one context.

``FeedEngine.change(conn)`` opens the write's transaction and yields a ``FeedChange``. The
service reports what it changed through it; each report runs the strategies' hooks and
queues background work inside the transaction, and records which cached pages the change
makes stale. Those are dropped only after the transaction commits (never before: a reader
could cache the old page again), and not at all when it rolls back. There is no other way
to report a change, so no write can do half of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from microblog.domain.types import Conn
from microblog.feeds.base import FeedJobs, FeedStrategy
from microblog.store import outbox
from microblog.store.cache import FeedCache


@dataclass
class FeedChange:
    """What one write changed; hooks run as it is told, invalidation after commit."""

    conn: Conn
    maintained: Sequence[FeedStrategy]
    jobs: FeedJobs
    cache: FeedCache | None
    background_posts: bool
    stale_readers: set[int] = field(default_factory=set)
    stale_everyone: bool = False
    _open: bool = True

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("a FeedChange is used only inside its engine.change() block")

    async def post_created(self, post_id: int, author_id: int, top_level: bool) -> None:
        """A post was inserted: queued for fan-out; the author's own pages are stale now,
        followers' pages after the fan-out job."""
        self._check_open()
        if self.background_posts:
            await outbox.put(self.conn, post_id)
            await self.jobs.posts_published(self.conn, [post_id])
        self.stale_readers.add(author_id)
        self.stale_everyone |= top_level

    async def post_deleted(self, post_id: int, author_id: int) -> None:
        """A post was deleted: removed from feed state and followers' pages by a job."""
        self._check_open()
        if self.background_posts:
            await self.jobs.post_deleted(self.conn, post_id, author_id)
        self.stale_readers.add(author_id)
        self.stale_everyone = True

    async def followed(self, follower_id: int, followed_id: int) -> None:
        """A follow was added."""
        self._check_open()
        for strategy in self.maintained:
            await strategy.followed(self.conn, follower_id, followed_id)
        self.stale_readers.add(follower_id)

    async def unfollowed(self, follower_id: int, followed_id: int) -> None:
        """A follow was removed."""
        self._check_open()
        for strategy in self.maintained:
            await strategy.unfollowed(self.conn, follower_id, followed_id)
        self.stale_readers.add(follower_id)

    async def _committed(self) -> None:
        if self.cache is not None and (self.stale_readers or self.stale_everyone):
            await self.cache.invalidate(sorted(self.stale_readers), everyone=self.stale_everyone)


@contextlib.asynccontextmanager
async def feed_change(
    conn: Conn,
    maintained: Sequence[FeedStrategy],
    jobs: FeedJobs,
    cache: FeedCache | None,
    background_posts: bool,
) -> AsyncIterator[FeedChange]:
    """The write's transaction on ``conn``, with the change to report into it."""
    change = FeedChange(conn, maintained, jobs, cache, background_posts)
    try:
        async with conn.transaction():
            yield change
    finally:
        change._open = False
    await change._committed()
