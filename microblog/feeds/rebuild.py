"""Build a strategy's state from existing posts and follows (the seed's migration phase 4).

Only the strategy's own lifecycle verbs are used, so rebuilding one strategy never touches
another's state, and a strategy without state is left as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn
from microblog.feeds.base import FeedStrategy
from microblog.store import users

BATCH = 200


async def rebuild(
    pool: AsyncConnectionPool[Conn],
    strategy: FeedStrategy,
    reader_ids: Sequence[int] | None,
    force: bool,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Build every reader's (or the listed readers') state; the number of readers built.

    Readers whose state is already built are skipped unless ``force``, so an interrupted run
    resumes where it stopped. Each reader is built in its own transactions. Shared state
    (one structure for everyone) is built once, and counts as one.
    """
    state = strategy.traits.state
    if state == "none":
        return 0
    async with pool.connection() as conn:
        if state == "shared":
            if force or not await _all_built(conn, strategy, reader_ids):
                await strategy.build(conn, None)
                return 1
            return 0
        built = 0
        async for batch in _batches(conn, reader_ids):
            for reader in batch:
                if not force and await strategy.is_built(conn, reader):
                    continue
                if force:
                    await strategy.forget(conn, reader)
                await strategy.build(conn, reader)
                built += 1
            if progress is not None:
                progress(len(batch))
    return built


async def _all_built(conn: Conn, strategy: FeedStrategy, reader_ids: Sequence[int] | None) -> bool:
    if reader_ids is None:
        return False  # "everyone" is never known to be built: build it
    for reader in reader_ids:
        if not await strategy.is_built(conn, reader):
            return False
    return True


async def _batches(conn: Conn, reader_ids: Sequence[int] | None) -> AsyncIterator[list[int]]:
    after = 0
    while True:
        if reader_ids is None:
            batch = await users.ids_after(conn, after, BATCH)
        else:
            batch = sorted(r for r in reader_ids if r > after)[:BATCH]
        if not batch:
            return
        after = batch[-1]
        yield batch
