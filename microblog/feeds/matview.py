"""``matview``: the seed's materialized view, bounded, with new posts merged at read time.

``user_feeds`` holds, for each active reader, their newest ``MICROBLOG_MATVIEW_PER_READER``
posts up to the view's high-water mark (the newest post id when it was refreshed). A read
stitches three ranges: posts above the high-water mark come from the pull path (the delta:
what the seed's trigger wanted to add, which PostgreSQL cannot insert into a view); the
view's range; and the pull path again below the reader's floor. Readers the view does not
hold (inactive at the last refresh, or whose follows changed since) are served by pull.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from microblog.domain.rules import MAX_ID
from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds.base import FeedJobs, FeedStrategy, Traits
from microblog.feeds.pull import PullStrategy
from microblog.feeds.segments import Segment, stitch
from microblog.settings import Settings
from microblog.store import catalog
from microblog.store import matview as matview_store

log = logging.getLogger(__name__)
RETRIES = 3
IN_FLIGHT_WAIT_SECONDS = 5.0
IN_FLIGHT_POLL_SECONDS = 0.01


class ViewChanged(Exception):
    """A refresh committed between two statements of one read."""


class MatviewStrategy(FeedStrategy):
    """Reads the periodically refreshed ``user_feeds`` view."""

    name = "matview"
    traits = Traits(state="shared")
    tables = ("user_feeds", "matview_readers", "matview_stale", "matview_state")

    def __init__(self, settings: Settings, jobs: FeedJobs) -> None:
        super().__init__(settings, jobs)
        self.pull = PullStrategy(settings, jobs)

    def own_settings(self) -> Mapping[str, object]:
        """Posts per reader, refresh period and who counts as active."""
        return {
            "matview_per_reader": self.settings.matview_per_reader,
            "matview_refresh_seconds": self.settings.matview_refresh_seconds,
            "active_days": self.settings.active_days,
        }

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Delta above the high-water mark, the view, then pull below the reader's floor."""
        if reader_id is None or mode in (FeedMode.ALL, FeedMode.MINE):
            return await self.pull.page(conn, reader_id, mode, window, limit)
        for _ in range(RETRIES):
            view = await matview_store.reader(conn, reader_id)
            if not view.held:
                break
            try:
                return await self._stitched(conn, reader_id, mode, window, limit, view)
            except ViewChanged:
                continue
        return await self.pull.page(conn, reader_id, mode, window, limit)

    async def _stitched(
        self,
        conn: Conn,
        reader_id: int,
        mode: FeedMode,
        window: Window,
        limit: int,
        view: matview_store.ReaderView,
    ) -> list[int]:
        include_self = mode is FeedMode.TIMELINE

        async def pulled(w: Window, n: int) -> list[int]:
            return await self.pull.page(conn, reader_id, mode, w, n)

        async def viewed(w: Window, n: int) -> list[int]:
            generation, ids = await matview_store.page(conn, reader_id, include_self, w, n)
            if generation != view.generation:
                raise ViewChanged
            return ids

        segments = [
            Segment(view.hwm, MAX_ID, pulled),
            Segment(view.floor, view.hwm + 1, viewed),
            Segment(0, view.floor + 1, pulled),
        ]
        return await stitch(segments, window, limit)

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """The view is out of date for this reader until the next refresh."""
        await matview_store.mark_stale(conn, follower_id)

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """The view is out of date for this reader until the next refresh."""
        await matview_store.mark_stale(conn, follower_id)

    async def user_deleted(self, conn: Conn, user_id: int) -> None:
        """Nothing in the deletion's transaction: pages already skip its posts (they join
        posts), and its bookkeeping waits for a refresh's lock (``remove_user`` does it)."""

    async def remove_user(self, conn: Conn, user_id: int) -> None:
        """Drop it from the readers and the stale marks; the next maintenance pass refreshes
        the view, whose rows still name it and its posts, without waiting for its period."""
        await matview_store.drop_reader(conn, user_id)

    async def maintain(self, conn: Conn) -> None:
        """Refresh the view when the last refresh is older than the configured interval."""
        # Half a pass of slack: a pass that comes a moment early still refreshes, so the
        # view is refreshed every matview_refresh_seconds, not one pass later.
        due_after = self.settings.matview_refresh_seconds - self.settings.maintenance_seconds / 2
        if await matview_store.refresh_due(conn, due_after):
            await self.refresh(conn)

    async def refresh(self, conn: Conn) -> bool:
        """REFRESH MATERIALIZED VIEW CONCURRENTLY, with its bookkeeping, now; False when
        posts in flight did not commit in time (the next pass tries again)."""
        # The view covers ids up to its high-water mark, and reads take only newer ids from
        # posts. A post with a lower id still uncommitted when the view is computed would be
        # covered but missing: wait until every transaction that may hold one has ended.
        mark = await matview_store.high_water(conn)
        deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
        while await matview_store.writers_before(conn, mark):
            if time.monotonic() > deadline:
                log.warning("view refresh postponed: a transaction writing posts is still open")
                return False
            await asyncio.sleep(IN_FLIGHT_POLL_SECONDS)
        settings = self.settings
        await matview_store.refresh(
            conn, mark.hwm, settings.active_days, settings.matview_per_reader
        )
        return True

    async def is_built(self, conn: Conn, reader_id: int) -> bool:
        """Whether the view holds the reader (active at the last refresh, follows unchanged)."""
        return (await matview_store.reader(conn, reader_id)).held

    async def build(self, conn: Conn, reader_id: int | None) -> None:
        """The view is built for every active reader at once: refresh it."""
        await self.refresh(conn)

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        """Serve the reader (everyone, for None) by pull until the next refresh."""
        if reader_id is None:
            await matview_store.forget_all(conn)
        else:
            await matview_store.mark_stale(conn, reader_id)

    async def storage_bytes(self, conn: Conn) -> int:
        """Size of the view and its bookkeeping."""
        return await catalog.size_bytes(conn, self.tables)

    async def entries(self, conn: Conn) -> int:
        """Rows of the view (``user_feeds``)."""
        return await catalog.row_count(conn, self.tables[0])
