"""The feed engine: the one entry point for reading feeds and reporting changes to them.

It serves each reader from the configured strategy (or from pull, for readers outside the
rollout share), keeps the state of every maintained strategy up to date (dual write), puts
hot first pages in the cache, and runs the strategies' background work in the job worker.
Writes report their changes through ``change()`` (see ``feeds/change.py``).
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import errors
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
# A fan-out job that has worked this long with posts still waiting queues the next one and
# ends: the other jobs of its worker's slots get their turn, and its committed batches stay
# done (``drain_posts``).
DRAIN_SECONDS = 2.0
# How long a fan-out job that found its queue empty waits for the post transactions in
# flight (milliseconds); past it, it queues the next job instead.
SETTLE_TIMEOUT_MS = 10_000
# Posts of the large queue per transaction: each one writes thousands of entries already,
# and one at a time keeps a transaction (its author lock, what a kill rolls back) short
# and lets several jobs share a burst of them.
LARGE_BATCH = 1


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
        large_followers: int | None = None,
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
        self.large_followers = large_followers
        # New posts and deletes need background work when a strategy fans out or pages are cached.
        self.background_posts = cache is not None or any(s.traits.fans_out for s in self.maintained)

    def strategy_for(self, reader_id: int | None) -> FeedStrategy:
        """The strategy that serves this reader."""
        if reader_id is None or self.rollout_percent >= 100:
            return self.serving
        return self.serving if in_rollout(reader_id, self.rollout_percent) else self.pull

    def replica_reads(self, reader_id: int | None, mode: FeedMode) -> bool:
        """Whether this page may be read on a streaming replica (``Traits.replica_reads``;
        All and Mine are pull's pages in every strategy)."""
        return mode not in HOME_MODES or self.strategy_for(reader_id).traits.replica_reads

    async def page(
        self,
        conn: Conn,
        reader_id: int | None,
        mode: FeedMode,
        window: Window,
        limit: int,
        on_replica: bool = False,
    ) -> IdPage:
        """One page; one more id than needed is read to know whether an older page exists.

        All is one page for everyone (cached once), except for a reader who mutes, blocks
        or is blocked by someone: theirs leaves those authors out, and is not cached.
        ``on_replica``: ``conn`` is a replica's, which may lag behind an invalidation; a
        page missing from the cache is then read on the primary, so the cache is only ever
        filled with pages as fresh as the primary (the generation rule holds)."""
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
            ids = await self._first_page(conn, strategy, reader_id, mode, on_replica)
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
        self,
        conn: Conn,
        strategy: FeedStrategy,
        reader_id: int | None,
        mode: FeedMode,
        on_replica: bool = False,
    ) -> list[int]:
        assert self.cache is not None
        hit = await self.cache.get(reader_id, mode.value)
        if hit.ids is not None:
            return hit.ids
        if on_replica:
            async with self.pool.connection() as primary:
                ids = await self._read(
                    primary, strategy, reader_id, mode, Window(), self.cache.depth
                )
        else:
            ids = await self._read(conn, strategy, reader_id, mode, Window(), self.cache.depth)
        await self.cache.put(reader_id, mode.value, hit.generation, ids)
        return ids

    # Writes ------------------------------------------------------------------------------

    def change(self, conn: Conn) -> contextlib.AbstractAsyncContextManager[FeedChange]:
        """A write's transaction on ``conn`` and the change it reports (see ``FeedChange``)."""
        return feed_change(
            conn,
            self.maintained,
            self.jobs,
            self.cache,
            self.background_posts,
            self.bus,
            self.large_followers,
        )

    # Background work, in the job worker ----------------------------------------------------

    async def drain_posts(self, large: bool, seconds: float = DRAIN_SECONDS) -> int:
        """A fan-out job: batch after batch of its queue's waiting posts (``process_posts``)
        until none is left; the posts it processed.

        Several jobs of a queue may run at once, on disjoint batches. A queue has at most one
        job waiting to start, and a post that finds it waiting counts on it; such a post may
        still be in flight when this job finds the queue empty, so the job then waits for
        the post transactions in flight (``outbox.settle``) and looks once more. Once is
        enough: a post counts only on a job that has not started. After ``seconds`` with
        posts still waiting, or when that wait times out, it queues the next job and ends
        (out of time with none waiting, it settles as above: no job is queued for nothing)."""
        deadline = time.monotonic() + seconds
        done = 0
        settled = False
        while True:
            taken = await self.process_posts((), large)
            done += taken
            if taken and time.monotonic() < deadline:
                continue
            if taken and await self._waiting(large):
                break  # out of time, with posts left: the next job goes on
            if settled:
                return done
            settled = await self._settle(large)
            if not settled:
                break
        async with self.pool.connection() as conn:
            await self.jobs.posts_published(conn, large)
        return done

    async def _waiting(self, large: bool) -> bool:
        async with self.pool.connection() as conn:
            return await outbox.waiting(conn, large)

    async def _settle(self, large: bool) -> bool:
        """Wait until the post transactions in flight have ended; False if one ran too long."""
        async with self.pool.connection() as conn:
            try:
                async with conn.transaction():
                    await outbox.settle(conn, large, SETTLE_TIMEOUT_MS)
            except errors.LockNotAvailable:
                return False
        return True

    async def process_posts(self, post_ids: Sequence[int] = (), large: bool = False) -> int:
        """One batch of fan-out and cache invalidation for new posts from the outbox: these
        ones, and the oldest others waiting in the queue (large or not) that no other job
        holds; how many it took."""
        batch = LARGE_BATCH if large else self.batch
        async with self.pool.connection() as conn:
            async with conn.transaction():
                # This job's posts and others waiting, except those another job holds.
                taken = await outbox.take(conn, post_ids, batch, large)
                if not taken:
                    return 0
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
        return len(taken)

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
        """Periodic upkeep of every maintained strategy; a fan-out job for each queue with
        posts waiting (after a job failed, its posts wait for the next; this is it)."""
        async with self.pool.connection() as conn:
            for strategy in self.maintained:
                await strategy.maintain(conn)
            for large in (False, True):
                if self.background_posts and await outbox.waiting(conn, large):
                    await self.jobs.posts_published(conn, large)
