"""Build a strategy's state from existing posts and follows (the seed's migration phase 4)."""

from __future__ import annotations

from collections.abc import Callable

from psycopg_pool import AsyncConnectionPool

from microblog.domain.rules import MAX_ID
from microblog.feeds.base import FeedStrategy
from microblog.store import push as push_store
from microblog.store.db import Conn

BATCH = 200


async def rebuild(
    pool: AsyncConnectionPool[Conn],
    strategy: FeedStrategy,
    reader_ids: list[int] | None,
    force: bool,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Build every reader's (or the listed readers') state; the number built.

    Readers whose feed is already built are skipped unless ``force``, so an interrupted run
    resumes where it stopped. Each reader is built in its own transaction. A strategy whose
    state is built for everyone at once (matview) is built once.
    """
    built = 0
    async with pool.connection() as conn:
        if await strategy.rebuild_all(conn):
            return 1
        after = 0
        while True:
            if reader_ids is None:
                batch = await push_store.user_ids_after(conn, after, BATCH)
            else:
                batch = [r for r in reader_ids if r > after][:BATCH]
            if not batch:
                break
            after = batch[-1]
            for reader in batch:
                if not force and await push_store.floor(conn, reader) not in (None, MAX_ID):
                    continue
                if force:
                    await push_store.forget(conn, reader)
                if await strategy.rebuild(conn, reader):
                    built += 1
            if progress is not None:
                progress(len(batch))
    return built
