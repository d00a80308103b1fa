"""The operations behind ``microblog feeds rebuild`` and ``microblog feeds verify``."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from microblog.feeds.base import FeedStrategy
from microblog.feeds.pull import PullStrategy
from microblog.feeds.rebuild import rebuild
from microblog.feeds.registry import load
from microblog.feeds.verify import Report, compare, sample_readers
from microblog.jobs.queue import Jobs, make_queue
from microblog.settings import Settings
from microblog.store import users
from microblog.store.db import make_pool


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
    )


def _strategy(settings: Settings, name: str | None, queue: Jobs) -> FeedStrategy:
    return load(name or settings.feed_strategy, settings, queue)


async def run_rebuild(
    settings: Settings, strategy_name: str | None, username: str | None, force: bool
) -> int:
    """Build feeds with a progress bar; the number built."""
    pool = make_pool(settings.database_url, 1, 2)
    await pool.open()
    queue = make_queue(settings)
    try:
        async with queue.open_async():
            strategy = _strategy(settings, strategy_name, Jobs(queue))
            async with pool.connection() as conn:
                if username is not None:
                    user = await users.by_username(conn, username)
                    if user is None:
                        raise LookupError(f"no user called {username!r}")
                    readers: list[int] | None = [user.id]
                    total = 1
                else:
                    readers = None
                    total, _ = await users.table_estimates(conn)
            with _progress() as bar:
                task = bar.add_task(f"rebuilding {strategy.name} feeds", total=total)
                return await rebuild(pool, strategy, readers, force, lambda n: bar.advance(task, n))
    finally:
        await pool.close()


async def run_verify(
    settings: Settings, strategy_name: str | None, sample: int, seed: int
) -> Report:
    """Compare pages with pull for a sample of readers, with a progress bar."""
    pool = make_pool(settings.database_url, 1, 2)
    await pool.open()
    queue = make_queue(settings)
    try:
        async with queue.open_async():
            jobs = Jobs(queue)
            strategy = _strategy(settings, strategy_name, jobs)
            async with pool.connection() as conn:
                readers = await sample_readers(conn, sample, seed)
            with _progress() as bar:
                task = bar.add_task(f"verifying {strategy.name}", total=len(readers))
                return await compare(
                    pool,
                    strategy,
                    PullStrategy(settings, jobs),
                    readers,
                    seed,
                    lambda n: bar.advance(task, n),
                )
    finally:
        await pool.close()
