"""Compare a strategy's pages with the pull strategy's, for sampled readers and cursors."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn, FeedMode, Window
from microblog.feeds.base import FeedStrategy
from microblog.feeds.pull import PullStrategy
from microblog.store import users

PAGE = 20
MAX_PAGES = 5


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One page that differs from pull."""

    reader_id: int
    mode: FeedMode
    window: Window
    expected: list[int]
    got: list[int]

    def __str__(self) -> str:
        return (
            f"reader {self.reader_id} {self.mode.value} {self.window}: "
            f"pull {self.expected[:5]}… got {self.got[:5]}…"
        )


@dataclass
class Report:
    """What a verification run compared and what differed."""

    readers: int = 0
    pages: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every page matched."""
        return not self.mismatches


async def sample_readers(conn: Conn, sample: int, seed: int) -> list[int]:
    """A deterministic sample of user ids."""
    ids: list[int] = []
    after = 0
    while batch := await users.ids_after(conn, after, 10_000):
        ids += batch
        after = batch[-1]
    rng = random.Random(seed)
    return sorted(rng.sample(ids, min(sample, len(ids))))


async def compare(
    pool: AsyncConnectionPool[Conn],
    strategy: FeedStrategy,
    pull: PullStrategy,
    readers: list[int],
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Walk up to five pages of each feed of each reader, plus random cursors and min_id."""
    report = Report()
    rng = random.Random(seed)
    async with pool.connection() as conn:
        for reader in readers:
            for mode in FeedMode:
                windows = [Window()]
                seen: list[int] = []
                for _ in range(MAX_PAGES):
                    window = windows[-1]
                    expected = await pull.page(conn, reader, mode, window, PAGE + 1)
                    got = await strategy.page(conn, reader, mode, window, PAGE + 1)
                    report.pages += 1
                    if got != expected:
                        report.mismatches.append(Mismatch(reader, mode, window, expected, got))
                        break
                    seen += expected[:PAGE]
                    if len(expected) <= PAGE:
                        break
                    windows.append(Window(below=expected[PAGE - 1]))
                for cursor in rng.sample(seen, min(2, len(seen))):
                    for window in (Window(below=cursor), Window(above=cursor, oldest_first=True)):
                        expected = await pull.page(conn, reader, mode, window, PAGE)
                        got = await strategy.page(conn, reader, mode, window, PAGE)
                        report.pages += 1
                        if got != expected:
                            report.mismatches.append(Mismatch(reader, mode, window, expected, got))
            report.readers += 1
            if progress is not None:
                progress(1)
    return report
