"""``fanout`` and ``hybrid``: feeds pushed into their chunk tables when posts are written.

A reader's pushed feed covers the ids above its floor; the pull path serves the rest, so
pages past the cap are still served with no seam. A reader without a feed is served by pull
at once while the feed is built in the background (never an empty page). ``hybrid`` only
keeps feeds of readers active within ``MICROBLOG_ACTIVE_DAYS`` and merges the posts of
celebrities (more than ``MICROBLOG_CELEBRITY_FOLLOWERS`` followers) at read time. Each
keeps its own tables, so both can be maintained at once and rebuilt apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence

from microblog.domain.rules import MAX_ID
from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds.base import FeedJobs, FeedStrategy, Traits
from microblog.feeds.pull import PullStrategy
from microblog.feeds.segments import Segment, stitch
from microblog.settings import Settings
from microblog.store import catalog
from microblog.store import push as push_store
from microblog.store.push import PushStore

log = logging.getLogger(__name__)
TRIM_BATCH = 500
RETIRE_GRACE_SECONDS = 600
IN_FLIGHT_WAIT_SECONDS = 30.0
IN_FLIGHT_POLL_SECONDS = 0.02


class FanoutStrategy(FeedStrategy):
    """Fan-out on write to every reader who has read their feed once."""

    name = "fanout"
    # Home pages on the primary: the feed tables are UNLOGGED (a replica has none of their
    # rows), and a first read claims the reader's feed and queues its build.
    traits = Traits(state="per_reader", fans_out=True, replica_reads=False)
    tables: tuple[str, ...] = ("feed_state", "feed_chunks")
    celebrities = False

    def __init__(self, settings: Settings, jobs: FeedJobs) -> None:
        super().__init__(settings, jobs)
        self.pull = PullStrategy(settings, jobs)
        self.cap = settings.feed_cap
        self.store = PushStore(self.tables[0], self.tables[1], settings.feed_chunk)

    def own_settings(self) -> Mapping[str, object]:
        """The cap of pushed entries per reader, and their ids per row."""
        return {"feed_cap": self.cap, "feed_chunk": self.store.chunk}

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Pushed entries above the reader's floor, pull below it (and for other modes)."""
        if reader_id is None or mode in (FeedMode.ALL, FeedMode.MINE):
            return await self.pull.page(conn, reader_id, mode, window, limit)
        floor = await self.store.floor(conn, reader_id)
        if floor is None:
            await self.store.claim(conn, reader_id)
            floor = MAX_ID
        if floor == MAX_ID:
            # First read, or a returning reader: pull now, build the feed in the background.
            await self.jobs.build_feed(conn, self.name, reader_id)
        include_self = mode is FeedMode.TIMELINE

        async def pushed(w: Window, n: int) -> list[int]:
            return await self.store.page(conn, reader_id, include_self, self.celebrities, w, n)

        async def pulled(w: Window, n: int) -> list[int]:
            return await self.pull.page(conn, reader_id, mode, w, n)

        segments = [Segment(floor, MAX_ID, pushed), Segment(0, floor + 1, pulled)]
        return await stitch(segments, window, limit)

    # Hooks -------------------------------------------------------------------------------

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Merge the followed account's posts into the follower's feed, now."""
        await push_store.lock_authors(conn, [followed_id])
        await push_store.lock_reader(conn, follower_id)
        if self.celebrities and await push_store.is_celebrity(conn, followed_id):
            return
        await self.store.backfill(conn, [follower_id], followed_id, self.cap)

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Remove the account's posts from the follower's feed, now."""
        await push_store.lock_authors(conn, [followed_id])
        await push_store.lock_reader(conn, follower_id)
        await self.store.unmerge(conn, follower_id, followed_id)

    async def fan_out(self, conn: Conn, post_ids: Sequence[int]) -> None:
        """Fan the posts out to their authors' followers, in one statement."""
        await push_store.lock_authors(conn, await push_store.authors_of(conn, post_ids))
        await self.store.fan_out(conn, post_ids, skip_celebrities=self.celebrities)

    async def remove_post(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Remove the post's entries (reads already skip them: they join posts)."""
        await self.store.unpush(conn, post_id, author_id)

    async def user_deleted(self, conn: Conn, user_id: int) -> None:
        """Its posts leave its followers' feeds and its own feed goes, one statement each
        (hybrid's ``celebrities`` row goes with the account: a foreign key cascades)."""
        await push_store.lock_authors(conn, [user_id])  # no fan-out of its posts meanwhile
        await push_store.lock_reader(conn, user_id)  # nor a build of its feed
        await self.store.drop_author(conn, user_id, self.cap)
        await self.store.forget(conn, user_id)

    async def remove_user(self, conn: Conn, user_id: int) -> None:
        """Sweep its feed again once every fan-out in flight at its deletion has ended.

        A fan-out of a post by an account it followed, whose statement read the follows
        before the deletion committed, may still insert into its feed (entries have no
        foreign key, and locking every followed author in the deletion would take thousands
        of locks). Statements that began after the commit find neither its follows nor its
        feed, so once the writers that began earlier are gone, nothing can write there again.
        """
        since = await catalog.now(conn)
        deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
        while await catalog.writers_before(conn, self.store.chunks, since):
            if time.monotonic() > deadline:
                # The job is retried (with back-off): the sweep is owed, not skipped.
                raise TimeoutError(f"writers of {self.store.chunks} still in flight")
            await asyncio.sleep(IN_FLIGHT_POLL_SECONDS)
        async with conn.transaction():
            await self.store.forget(conn, user_id)

    async def maintain(self, conn: Conn) -> None:
        """Trim every feed to the cap; rewrite the ones spread over many chunks."""
        after = 0
        while True:
            async with conn.transaction():
                last = await self.store.trim(conn, after, TRIM_BATCH, self.cap)
            if last is None:
                break
            after = last

    # Lifecycle ---------------------------------------------------------------------------

    async def is_built(self, conn: Conn, reader_id: int) -> bool:
        """Whether the reader has a feed that is not being built."""
        return await self.store.floor(conn, reader_id) not in (None, MAX_ID)

    async def build(self, conn: Conn, reader_id: int | None) -> None:
        """Claim (if needed) and fill the reader's feed with their newest posts."""
        if reader_id is None:
            raise ValueError("push feeds are built reader by reader")
        async with conn.transaction():
            await self.store.claim(conn, reader_id)
        async with conn.transaction():
            await push_store.lock_reader(conn, reader_id)  # follows stay put while it reads
            if await self.store.floor(conn, reader_id) is None:
                return  # forgotten meanwhile, or the account is gone
            await self.store.fill(conn, reader_id, self.cap)

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        """Drop the reader's feed (every feed for None); reads fall back to pull."""
        async with conn.transaction():
            await self.store.forget(conn, reader_id)

    async def storage_bytes(self, conn: Conn) -> int:
        """Size of the strategy's tables and their indexes."""
        return await catalog.size_bytes(conn, self.tables)

    async def entries(self, conn: Conn) -> int:
        """Post ids held in the feeds' chunks."""
        return await self.store.entries(conn)

    async def delivered(self, conn: Conn, post_ids: Sequence[int]) -> int:
        """Entries that hold these posts (the benchmark's count of a fan-out's work)."""
        return await self.store.delivered(conn, post_ids)


class HybridStrategy(FanoutStrategy):
    """Push for active readers and ordinary authors; pull for the rest."""

    name = "hybrid"
    tables = ("hybrid_feed_state", "hybrid_feed_chunks", "celebrities")
    celebrities = True

    def own_settings(self) -> Mapping[str, object]:
        """The cap, who counts as active and who as a celebrity."""
        return {
            "feed_cap": self.cap,
            "feed_chunk": self.store.chunk,
            "active_days": self.settings.active_days,
            "celebrity_followers": self.settings.celebrity_followers,
        }

    async def maintain(self, conn: Conn) -> None:
        """Retire inactive readers' feeds, update the celebrities, trim."""
        async with conn.transaction():
            await self.store.retire(conn, self.settings.active_days, RETIRE_GRACE_SECONDS)
        threshold = self.settings.celebrity_followers
        async with conn.transaction():
            promoted = await push_store.promote_celebrities(conn, threshold)
        if promoted:
            log.info("%d accounts are now merged at read time", len(promoted))
        for author_id in await push_store.celebrities_to_demote(conn, threshold):
            # Back to fan-out: first merge their posts into their followers' feeds.
            async with conn.transaction():
                await push_store.lock_authors(conn, [author_id])
                if await push_store.drop_celebrity(conn, author_id):
                    readers = await self.store.followers_with_feeds(conn, author_id)
                    await self.store.backfill(conn, readers, author_id, self.cap)
        await super().maintain(conn)

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        """Drop the reader's feed; for None every feed and the celebrities too."""
        async with conn.transaction():
            await self.store.forget(conn, reader_id)
            if reader_id is None:
                await push_store.forget_celebrities(conn)
