"""``pull``: every page computed at read time from posts and follows, with a plan per reader."""

from __future__ import annotations

import time
from typing import Literal

from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds.base import FeedJobs, FeedStrategy
from microblog.settings import Settings
from microblog.store import pull as pull_store
from microblog.store import users

Plan = Literal["merge", "scan"]

# How much cheaper one row of the merge plan is than one row of the scan plan (the scan
# also probes follows and reads the heap for every post it passes). Tuned by the benchmark.
MERGE_ROW_ADVANTAGE = 4.0
STATS_TTL_SECONDS = 60.0


def choose_plan(authors: int, users_total: int, limit: int) -> Plan:
    """Pick the cheaper query for a reader who follows ``authors`` accounts.

    The scan walks the newest posts until ``limit`` of them are by followed authors: about
    ``limit * users_total / authors`` rows when activity is even. The merge reads up to
    ``limit`` rows for each followed author. Readers who follow few accounts (the seed's
    550 ms case) merge; readers who follow many scan.
    """
    if authors <= 0:
        return "merge"
    scan_rows = limit * users_total / authors
    merge_rows = authors * limit / MERGE_ROW_ADVANTAGE
    return "merge" if merge_rows <= scan_rows else "scan"


class PullStrategy(FeedStrategy):
    """Reads straight from ``posts`` and ``follows``; keeps no state of its own."""

    name = "pull"

    def __init__(self, settings: Settings, jobs: FeedJobs) -> None:
        super().__init__(settings, jobs)
        self._users_total = 1
        self._stats_at = float("-inf")

    async def _users(self, conn: Conn) -> int:
        now = time.monotonic()
        if now - self._stats_at > STATS_TTL_SECONDS:
            self._users_total, _ = await users.table_estimates(conn)
            self._stats_at = now
        return self._users_total

    async def plan_for(self, conn: Conn, reader_id: int, include_self: bool, limit: int) -> Plan:
        """The plan ``page`` uses for this reader."""
        authors = await users.following_count(conn, reader_id) + int(include_self)
        return choose_plan(authors, await self._users(conn), limit)

    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Post ids of one page, newest first."""
        if mode is FeedMode.ALL:
            return await pull_store.public(conn, reader_id, window, limit)
        if reader_id is None:
            return []
        if mode is FeedMode.MINE:
            return await pull_store.author(conn, reader_id, window, limit)
        include_self = mode is FeedMode.TIMELINE
        plan = await self.plan_for(conn, reader_id, include_self, limit)
        merge = plan == "merge"
        return await pull_store.network(conn, reader_id, include_self, window, limit, merge)
