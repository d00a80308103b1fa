"""The feed engine: the one entry point for reading feeds and reporting changes to them.

It serves each reader from the configured strategy (or from pull, for readers outside the
rollout share), keeps the state of every maintained strategy up to date (dual write), puts
hot first pages in the cache, and runs the strategies' background work in the job worker.
Writes report their changes through ``change()`` (see ``feeds/change.py``).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds import falloff, live
from microblog.feeds.base import FeedJobs, FeedStrategy
from microblog.feeds.change import FeedChange, feed_change
from microblog.feeds.pull import PullStrategy
from microblog.store import follows as follow_store
from microblog.store import outbox
from microblog.store import posts as post_store
from microblog.store import pull as pull_store
from microblog.store.bus import Bus
from microblog.store.cache import FeedCache


@dataclass(frozen=True, slots=True)
class IdPage:
    """Post ids of one page, newest first, and the cursor of the next (older) page."""

    ids: list[int]
    next_max_id: int | None


HOME_MODES = (FeedMode.TIMELINE, FeedMode.FOLLOWING)


def in_rollout(reader_id: int, percent: int) -> bool:
    """Whether a reader is in the rollout share: stable per reader, spread evenly."""
    return zlib.crc32(reader_id.to_bytes(8, "big")) % 100 < percent


class FeedEngine:
    """Pages feeds through strategies and forwards change events to them."""

    def __init__(
        self,
        serving: FeedStrategy,
        maintained: Sequence[FeedStrategy],
        pull: PullStrategy,
        pool: AsyncConnectionPool[Conn],
        jobs: FeedJobs,
        cache: FeedCache | None = None,
        rollout_percent: int = 100,
        batch: int = 100,
        bus: Bus | None = None,
    ) -> None:
        self.serving = serving
        self.pull = pull
        # The serving strategy first, then the dual writes; pull keeps no state.
        self.maintained = [serving, *(s for s in maintained if s is not serving)]
        self.pool = pool
        self.jobs = jobs
        self.cache = cache
        self.rollout_percent = rollout_percent
        self.batch = batch
        self.bus = bus
        # New posts and deletes need background work when a strategy fans out or pages are cached.
        self.background_posts = cache is not None or any(s.traits.fans_out for s in self.maintained)

    def strategy_for(self, reader_id: int | None) -> FeedStrategy:
        """The strategy that serves this reader."""
        if reader_id is None or self.rollout_percent >= 100:
            return self.serving
        return self.serving if in_rollout(reader_id, self.rollout_percent) else self.pull

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> IdPage:
        """One page; one more id than needed is read to know whether an older page exists.

        All is one page for everyone (cached once), except for a reader who mutes, blocks
        or is blocked by someone: theirs leaves those authors out, and is not cached."""
        shared = mode is FeedMode.ALL
        if shared and reader_id is not None and await pull_store.has_hidden(conn, reader_id):
            shared = False
        elif shared:
            reader_id = None
        strategy = self.strategy_for(reader_id)
        if window.oldest_first:
            ids = await self._read(conn, strategy, reader_id, mode, window, limit)
            if not ids:
                return IdPage(ids, None)
            # The page right after min_id: is there anything older than its last post?
            older = await self._read(conn, strategy, reader_id, mode, Window(below=ids[-1]), 1)
            return IdPage(ids, ids[-1] if older else None)
        cacheable = mode is not FeedMode.ALL or shared
        if self.cache is not None and cacheable and window == Window() and limit < self.cache.depth:
            ids = await self._first_page(conn, strategy, reader_id, mode)
            ids = ids[: limit + 1]
        else:
            ids = await self._read(conn, strategy, reader_id, mode, window, limit + 1)
        if len(ids) > limit:
            return IdPage(ids[:limit], ids[limit - 1])
        return IdPage(ids, None)

    async def _read(
        self,
        conn: Conn,
        strategy: FeedStrategy,
        reader_id: int | None,
        mode: FeedMode,
        window: Window,
        limit: int,
    ) -> list[int]:
        """The strategy's page, through the boost rule in home feeds (``falloff``)."""
        if reader_id is None or mode not in HOME_MODES:
            return await strategy.page(conn, reader_id, mode, window, limit)

        async def read(w: Window, n: int) -> list[int]:
            return await strategy.page(conn, reader_id, mode, w, n)

        # One query tells both which entries are boosts and which of those may repeat.
        suspected: set[int] = set()

        async def reblogs(ids: Sequence[int]) -> dict[int, int]:
            found = await post_store.reblogs_among(conn, ids, reader_id)
            suspected.update(b for b, boost in found.items() if boost.suspect)
            return {b: boost.reblog_of_id for b, boost in found.items()}

        async def suspects(boosted: dict[int, int]) -> set[int]:
            return suspected & set(boosted)

        return await falloff.shown(read, reblogs, window, limit, suspects)

    async def _first_page(
        self, conn: Conn, strategy: FeedStrategy, reader_id: int | None, mode: FeedMode
    ) -> list[int]:
        assert self.cache is not None
        hit = await self.cache.get(reader_id, mode.value)
        if hit.ids is not None:
            return hit.ids
        ids = await self._read(conn, strategy, reader_id, mode, Window(), self.cache.depth)
        await self.cache.put(reader_id, mode.value, hit.generation, ids)
        return ids

    # Writes ------------------------------------------------------------------------------

    def change(self, conn: Conn) -> contextlib.AbstractAsyncContextManager[FeedChange]:
        """A write's transaction on ``conn`` and the change it reports (see ``FeedChange``)."""
        return feed_change(
            conn, self.maintained, self.jobs, self.cache, self.background_posts, self.bus
        )

    # Background work, in the job worker ----------------------------------------------------

    async def process_posts(self, post_ids: Sequence[int]) -> None:
        """Fan-out and cache invalidation for new posts, in batches from the outbox."""
        async with self.pool.connection() as conn:
            async with conn.transaction():
                # This job's posts and others waiting, except those another job holds.
                taken = await outbox.take(conn, post_ids, self.batch)
                if not taken:
                    return
                for strategy in self.maintained:
                    await strategy.fan_out(conn, taken)
                # In the followers' feeds once this commits: the streams may show them.
                said = [live.posts_message(taken)]
                if self.bus is not None:
                    await self.bus.publish_in(conn, said)
            if self.cache is not None:
                await self._invalidate_followers(conn, post_ids=taken)
        if self.bus is not None:
            await self.bus.publish_after(said)

    async def process_deleted(self, post_id: int, author_id: int) -> None:
        """Removal of a deleted post from feeds and cached pages."""
        async with self.pool.connection() as conn:
            for strategy in self.maintained:
                async with conn.transaction():
                    await strategy.remove_post(conn, post_id, author_id)
            if self.cache is not None:
                await self._invalidate_followers(conn, author_ids=[author_id])

    async def process_account_deleted(self, user_id: int) -> None:
        """What an account's deletion left for after its commit, for every strategy."""
        async with self.pool.connection() as conn:
            for strategy in self.maintained:
                await strategy.remove_user(conn, user_id)

    async def _invalidate_followers(
        self, conn: Conn, post_ids: Sequence[int] = (), author_ids: Sequence[int] = ()
    ) -> None:
        assert self.cache is not None
        # Only readers who read within the cache's lifetime can have a cached page: a post
        # with 2,500 followers invalidates the few of them reading now, not all of them.
        recent = await self.cache.recent_readers()
        if recent is None:
            return  # Redis is away: the cache drops every page when it answers again
        readers = await follow_store.audience(conn, post_ids, author_ids, recent) if recent else []
        await self.cache.invalidate(readers, everyone=True)

    def strategy_named(self, name: str) -> FeedStrategy | None:
        """The maintained strategy called ``name``, if it is one."""
        return next((s for s in self.maintained if s.name == name), None)

    async def build(self, strategy_name: str, reader_id: int) -> None:
        """Build one reader's state of the named strategy (a job asked for by the strategy)."""
        strategy = self.strategy_named(strategy_name)
        if strategy is None:
            return  # queued before a restart that stopped maintaining it: nothing to build
        async with self.pool.connection() as conn:
            if not await strategy.is_built(conn, reader_id):
                await strategy.build(conn, reader_id)

    async def maintain(self) -> None:
        """Periodic upkeep of every maintained strategy."""
        async with self.pool.connection() as conn:
            for strategy in self.maintained:
                await strategy.maintain(conn)
