"""``fanout`` and ``hybrid``: feeds pushed into ``feed_entries`` when posts are written.

A reader's pushed feed covers the ids above its floor; the pull path serves the rest, so
pages past the cap are still served with no seam. A reader without a feed is served by pull
at once while the feed is built in the background (never an empty page). ``hybrid`` only
keeps feeds of readers active within ``MICROBLOG_ACTIVE_DAYS`` and merges the posts of
celebrities (more than ``MICROBLOG_CELEBRITY_FOLLOWERS`` followers) at read time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_ID
from microblog.feeds.base import Deferrer, FeedStrategy, Window
from microblog.feeds.pull import PullStrategy
from microblog.feeds.segments import Segment, stitch
from microblog.settings import Settings
from microblog.store import push as sql
from microblog.store.db import Conn

log = logging.getLogger(__name__)
TRIM_BATCH = 500
RETIRE_GRACE_SECONDS = 600


class FanoutStrategy(FeedStrategy):
    """Fan-out on write to every reader who has read their feed once."""

    name = "fanout"
    wants_post_jobs = True
    celebrities = False

    def __init__(self, settings: Settings, defer: Deferrer) -> None:
        super().__init__(settings, defer)
        self.pull = PullStrategy(settings, defer)
        self.cap = settings.feed_cap

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Pushed entries above the reader's floor, pull below it (and for other modes)."""
        if reader_id is None or mode in (FeedMode.ALL, FeedMode.MINE):
            return await self.pull.page(conn, reader_id, mode, window, limit)
        floor = await sql.floor(conn, reader_id)
        if floor is None:
            await sql.claim(conn, reader_id)
            floor = MAX_ID
        if floor == MAX_ID:
            # First read, or a returning reader: pull now, build the feed in the background.
            await self.defer(
                conn,
                "warm_feed",
                strategy=self.name,
                reader_id=reader_id,
                queueing_lock=f"warm:{self.name}:{reader_id}",
            )
        include_self = mode is FeedMode.TIMELINE

        async def pushed(w: Window, n: int) -> list[int]:
            ids = await sql.page(
                conn,
                reader_id,
                include_self,
                self.celebrities,
                w.above,
                w.below,
                n,
                not w.oldest_first,
            )
            return ids if not w.oldest_first else ids[::-1]

        async def pulled(w: Window, n: int) -> list[int]:
            return await self.pull.page(conn, reader_id, mode, w, n)

        segments = [Segment(floor, MAX_ID, pushed), Segment(0, floor + 1, pulled)]
        return await stitch(segments, window, limit)

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Merge the followed account's posts into the follower's feed, now."""
        await sql.lock_authors(conn, [followed_id])
        if self.celebrities and await sql.is_celebrity(conn, followed_id):
            return
        await sql.backfill(conn, [follower_id], followed_id, self.cap)

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """Remove the account's posts from the follower's feed, now."""
        await sql.lock_authors(conn, [followed_id])
        await sql.unmerge(conn, follower_id, followed_id)

    async def process_posts(self, conn: Conn, post_ids: Sequence[int]) -> None:
        """Fan the posts out to their authors' followers, in one statement."""
        await sql.lock_authors(conn, await sql.authors_of(conn, post_ids))
        await sql.fan_out(conn, post_ids, skip_celebrities=self.celebrities)

    async def process_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Remove the post's entries (reads already skip them: they join posts)."""
        await sql.unpush(conn, post_id, author_id)

    async def warm(self, conn: Conn, reader_id: int) -> None:
        """Fill a claimed feed with the reader's newest posts."""
        async with conn.transaction():
            await sql.fill(conn, reader_id, self.cap)

    async def rebuild(self, conn: Conn, reader_id: int) -> bool:
        """Claim (if needed) and fill a reader's feed now."""
        async with conn.transaction():
            await sql.claim(conn, reader_id)
        async with conn.transaction():
            await sql.fill(conn, reader_id, self.cap)
        return True

    async def maintain(self, conn: Conn) -> None:
        """Trim every feed to the cap."""
        after = 0
        while True:
            async with conn.transaction():
                last = await sql.trim(conn, after, TRIM_BATCH, self.cap)
            if last is None:
                break
            after = last

    async def storage_bytes(self, conn: Conn) -> int:
        """Size of feed_entries and feed_state."""
        return await sql.storage_bytes(conn)


class HybridStrategy(FanoutStrategy):
    """Push for active readers and ordinary authors; pull for the rest."""

    name = "hybrid"
    celebrities = True

    async def maintain(self, conn: Conn) -> None:
        """Retire inactive readers' feeds, update the celebrities, trim."""
        async with conn.transaction():
            await sql.retire(conn, self.settings.active_days, RETIRE_GRACE_SECONDS)
        threshold = self.settings.celebrity_followers
        async with conn.transaction():
            promoted = await sql.promote_celebrities(conn, threshold)
        if promoted:
            log.info("%d accounts are now merged at read time", len(promoted))
        for author_id in await sql.celebrities_to_demote(conn, threshold):
            # Back to fan-out: first merge their posts into their followers' feeds.
            async with conn.transaction():
                await sql.lock_authors(conn, [author_id])
                if await sql.drop_celebrity(conn, author_id):
                    readers = await sql.followers_with_feeds(conn, author_id)
                    await sql.backfill(conn, readers, author_id, self.cap)
        await super().maintain(conn)
