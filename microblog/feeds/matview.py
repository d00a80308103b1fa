"""``matview``: the seed's materialized view, bounded, with new posts merged at read time.

``user_feeds`` holds, for each active reader, their newest ``MICROBLOG_MATVIEW_PER_READER``
posts up to the view's high-water mark (the newest post id when it was refreshed). A read
stitches three ranges: posts above the high-water mark come from the pull path (the delta:
what the seed's trigger wanted to add, which PostgreSQL cannot insert into a view); the
view's range; and the pull path again below the reader's floor. Readers the view does not
hold (inactive at the last refresh, or whose follows changed since) are served by pull.
"""

from __future__ import annotations

from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_ID
from microblog.feeds.base import Deferrer, FeedStrategy, Window
from microblog.feeds.pull import PullStrategy
from microblog.feeds.segments import Segment, stitch
from microblog.settings import Settings
from microblog.store import matview as sql
from microblog.store.db import Conn

RETRIES = 3


class ViewChanged(Exception):
    """A refresh committed between two statements of one read."""


class MatviewStrategy(FeedStrategy):
    """Reads the periodically refreshed ``user_feeds`` view."""

    name = "matview"

    def __init__(self, settings: Settings, defer: Deferrer) -> None:
        super().__init__(settings, defer)
        self.pull = PullStrategy(settings, defer)

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Delta above the high-water mark, the view, then pull below the reader's floor."""
        if reader_id is None or mode in (FeedMode.ALL, FeedMode.MINE):
            return await self.pull.page(conn, reader_id, mode, window, limit)
        for _ in range(RETRIES):
            view = await sql.reader(conn, reader_id)
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
        view: sql.ReaderView,
    ) -> list[int]:
        include_self = mode is FeedMode.TIMELINE

        async def pulled(w: Window, n: int) -> list[int]:
            return await self.pull.page(conn, reader_id, mode, w, n)

        async def viewed(w: Window, n: int) -> list[int]:
            generation, ids = await sql.page(
                conn, reader_id, include_self, w.above, w.below, n, not w.oldest_first
            )
            if generation != view.generation:
                raise ViewChanged
            return ids[::-1] if w.oldest_first else ids

        segments = [
            Segment(view.hwm, MAX_ID, pulled),
            Segment(view.floor, view.hwm + 1, viewed),
            Segment(0, view.floor + 1, pulled),
        ]
        return await stitch(segments, window, limit)

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """The view is out of date for this reader until the next refresh."""
        await sql.mark_stale(conn, follower_id)

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """The view is out of date for this reader until the next refresh."""
        await sql.mark_stale(conn, follower_id)

    async def maintain(self, conn: Conn) -> None:
        """Refresh the view when the last refresh is older than the configured interval."""
        if await sql.refresh_due(conn, self.settings.matview_refresh_seconds):
            await self.refresh(conn)

    async def refresh(self, conn: Conn) -> None:
        """REFRESH MATERIALIZED VIEW CONCURRENTLY, with its bookkeeping, now."""
        await sql.refresh(conn, self.settings.active_days, self.settings.matview_per_reader)

    async def rebuild_all(self, conn: Conn) -> bool:
        """The view is built for every reader at once: refresh it."""
        await self.refresh(conn)
        return True

    async def storage_bytes(self, conn: Conn) -> int:
        """Size of the view and its bookkeeping."""
        return await sql.storage_bytes(conn)
