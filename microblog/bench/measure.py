"""The in-process figures: page reads through the service, fan-out lag and throughput, storage,
and the comparison with pull. Each function opens the runtime for the settings it is given."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from microblog.bench import cold
from microblog.bench import store as bench_store
from microblog.bench.stats import Spread, spread
from microblog.domain.types import FeedMode, Window
from microblog.feeds import available, load
from microblog.feeds.push import FanoutStrategy
from microblog.feeds.rebuild import rebuild
from microblog.feeds.verify import compare
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings

PAGE = 20
STATS_SETTLE_SECONDS = 1.0  # for exiting backends to report their statistics
DEEP_POSITION = 1000  # past the fan-out cap of 800: served across the seam by pull
# The write mix of the fan-out figures: after every BOOST_AFTER posts, one boost (by the next
# author, of the newest post written by someone else). A boost is fanned out like a post.
BOOST_AFTER = 5


# Writes in flight at once in the fan-out lag figure (the runtime's pool has 6 connections:
# 2 for the job worker's slots, 4 for these).
WRITERS = 4


async def write_one(runtime: Runtime, authors: list[int], i: int, recent: list[int]) -> int:
    """The i-th write of the mix: a post, or every (BOOST_AFTER + 1)-th a boost; its id."""
    author = authors[i % len(authors)]
    if i % (BOOST_AFTER + 1) == BOOST_AFTER and recent:
        boosted = await runtime.microblog.reblog(author, recent[-1])
        return boosted.id
    post = await runtime.microblog.create_post(author, f"benchmark post {i}", None)
    recent.append(post.id)
    return post.id


async def build_state(settings: Settings) -> float:
    """Build the serving strategy's state for every reader from empty; seconds taken."""
    async with open_runtime(settings, pool_max=4) as runtime:
        strategy = runtime.engine.serving
        async with runtime.pool.connection() as conn:
            # Every strategy's state from earlier runs goes: the build starts from nothing,
            # and the database measured holds only this strategy's.
            for name in available():
                await load(name, settings, runtime.engine.jobs).forget(conn, None)
        started = time.perf_counter()
        await rebuild(runtime.pool, strategy, None, force=False)
        await runtime.engine.maintain()
        elapsed = time.perf_counter() - started
    bench_store.vacuum(settings.database_url, strategy.tables)
    return elapsed


async def drain(settings: Settings) -> None:
    """Finish the jobs earlier figures queued (posts made over HTTP), unmeasured."""
    async with open_runtime(settings, pool_max=4) as runtime:
        await runtime.run_worker(concurrency=2, wait=False)
    bench_store.forget_jobs(settings.database_url)


async def issue_tokens(settings: Settings, user_ids: list[int]) -> dict[int, str]:
    """A bearer token for each user."""
    async with open_runtime(settings, pool_max=2) as runtime:
        return {u: (await runtime.microblog.issue_token(u)).access_token for u in user_ids}


async def _timed(call: Any) -> float:
    started = time.perf_counter_ns()
    await call
    return (time.perf_counter_ns() - started) / 1e6


async def cursors(settings: Settings, readers: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Per reader: the cursor of page 2, and a cursor about 1,000 posts deep (from pull)."""
    found: dict[str, tuple[int, int]] = {}
    async with open_runtime(settings, pool_max=2) as runtime, runtime.pool.connection() as conn:
        for label, reader in readers.items():
            ids = await runtime.engine.pull.page(
                conn, reader, FeedMode.TIMELINE, Window(), DEEP_POSITION + 1
            )
            second = ids[PAGE - 1] if len(ids) > PAGE else (ids[-1] if ids else 1)
            deep = ids[-1] if ids else 1
            found[label] = (second, deep)
    return found


async def page_reads(
    settings: Settings,
    readers: dict[str, int],
    marks: dict[str, tuple[int, int]],
    samples: int,
) -> dict[str, dict[str, Any]]:
    """first / later / deep page latencies (ms) through the service, per reader and overall."""
    figures: dict[str, dict[str, Any]] = {}
    async with open_runtime(settings, pool_max=2) as runtime:
        windows = {
            "first_page_ms": {label: Window() for label in readers},
            "later_page_ms": {label: Window(below=marks[label][0]) for label in readers},
            "deep_page_ms": {label: Window(below=marks[label][1]) for label in readers},
        }
        for name, window_of in windows.items():
            everyone: list[float] = []
            by_reader: dict[str, Spread] = {}
            for label, reader in readers.items():
                window = window_of[label]
                for _ in range(3):  # warm up: connections, plans, caches
                    await runtime.microblog.feed(reader, FeedMode.TIMELINE, window, PAGE)
                times = [
                    await _timed(runtime.microblog.feed(reader, FeedMode.TIMELINE, window, PAGE))
                    for _ in range(samples)
                ]
                by_reader[label] = spread(times)
                everyone += times
            figures[name] = {**spread(everyone), "by_reader": by_reader}
    return figures


async def state_bytes(settings: Settings) -> tuple[int, int]:
    """Bytes of the serving strategy's tables and indexes in PostgreSQL, and the feed
    entries they hold."""
    async with open_runtime(settings, pool_max=2) as runtime, runtime.pool.connection() as conn:
        serving = runtime.engine.serving
        return await serving.storage_bytes(conn), await serving.entries(conn)


async def cold_first_pages(settings: Settings, readers: list[int], restart: str) -> dict[str, Any]:
    """First page of each reader, read once, right after PostgreSQL restarted (``restart``,
    a shell command) with empty shared buffers; the cache, if on, emptied first."""
    async with open_runtime(settings, pool_max=2) as runtime:
        if runtime.engine.cache is not None:
            await runtime.engine.cache.clear()
    cold.restart_postgres(restart, settings.database_url)
    async with open_runtime(settings, pool_max=2) as runtime:
        times = [
            await _timed(runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), PAGE))
            for reader in readers
        ]
    return dict(spread(times))


async def delivered(settings: Settings, post_ids: list[int]) -> int:
    """Feed entries that hold these posts, in the serving strategy's pushed feeds."""
    async with open_runtime(settings, pool_max=2) as runtime:
        strategy = runtime.engine.serving
        if not isinstance(strategy, FanoutStrategy):
            raise TypeError(f"{strategy.name} pushes no feed entries")
        async with runtime.pool.connection() as conn:
            return await strategy.delivered(conn, post_ids)


async def own_settings(settings: Settings) -> dict[str, object]:
    """The settings the serving strategy reads (reported beside its figures)."""
    async with open_runtime(settings, pool_max=2) as runtime:
        return dict(runtime.engine.serving.own_settings())


async def cache_bytes(settings: Settings) -> int:
    """Bytes of the cache's Redis keys (0 without the cache)."""
    async with open_runtime(settings, pool_max=2) as runtime:
        return await runtime.engine.cache.memory_bytes() if runtime.engine.cache is not None else 0


async def mismatches(settings: Settings, readers: list[int]) -> int:
    """Pages that differ from pull for these readers (every mode, five pages, cursors)."""
    async with open_runtime(settings, pool_max=2) as runtime:
        report = await compare(runtime.pool, runtime.engine.serving, runtime.engine.pull, readers)
    return len(report.mismatches)


async def _write_at_rate(
    runtime: Runtime, authors: list[int], rate: int, seconds: float, written: dict[int, float]
) -> None:
    """Writes (posts and boosts: ``write_one``) at ``rate`` per second for ``seconds``, each
    with the time its commit returned. Each starts at its time, with up to ``WRITERS`` in
    flight: one after another, a write of ~2 ms could not keep 500 a second."""
    total = int(rate * seconds)
    started = time.perf_counter()
    recent: list[int] = []
    slots = asyncio.Semaphore(WRITERS)

    async def write(i: int) -> None:
        try:
            written[await write_one(runtime, authors, i, recent)] = time.perf_counter()
        finally:
            slots.release()

    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        tasks.append(asyncio.create_task(write(i)))
    await asyncio.gather(*tasks)


async def _read_meanwhile(runtime: Runtime, readers: list[int], stop: asyncio.Event) -> int:
    reads = 0
    while not stop.is_set():
        await runtime.microblog.feed(
            readers[reads % len(readers)], FeedMode.TIMELINE, Window(), PAGE
        )
        reads += 1
        await asyncio.sleep(0.01)
    return reads


async def _watch_outbox(
    runtime: Runtime, written: dict[int, float], lags: dict[int, float], writing: asyncio.Task[None]
) -> None:
    """Every 10 ms, the posts that left the outbox since the last look: their lag is from
    their commit to now (at most one poll late). Bounded: gives up 300 s after the writes."""
    deadline: float | None = None
    while True:
        pending = [p for p in written if p not in lags]
        if pending:
            async with runtime.pool.connection() as conn:
                still = await bench_store.waiting(conn, pending)
            now = time.perf_counter()
            lags.update({p: (now - written[p]) * 1000 for p in pending if p not in still})
        elif writing.done():
            return
        if writing.done():
            deadline = deadline or time.perf_counter() + 300
            if time.perf_counter() > deadline:
                return
        await asyncio.sleep(0.01)


async def fanout_lag(
    settings: Settings,
    authors: list[int],
    readers: list[int],
    rates: tuple[int, ...],
    seconds: float,
) -> dict[str, Any]:
    """Commit-to-every-feed lag of new posts at sustained write rates, while reads go on."""
    by_rate: dict[str, Any] = {}
    everyone: list[float] = []
    async with open_runtime(settings, pool_max=6) as runtime:
        for rate in rates:
            worker = asyncio.create_task(runtime.run_worker(concurrency=2, delete_jobs="always"))
            stop = asyncio.Event()
            reading = asyncio.create_task(_read_meanwhile(runtime, readers, stop))
            written: dict[int, float] = {}
            lags: dict[int, float] = {}
            started = time.perf_counter()
            writing = asyncio.create_task(_write_at_rate(runtime, authors, rate, seconds, written))
            watching = asyncio.create_task(_watch_outbox(runtime, written, lags, writing))
            await writing
            achieved = len(written) / (time.perf_counter() - started)
            stop.set()
            await reading
            await watching
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            values = list(lags.values())
            by_rate[str(rate)] = {
                **spread(values),
                "achieved_posts_per_s": round(achieved, 1),
                "unfinished": len(written) - len(values),
            }
            everyone += values
    return {**spread(everyone), "by_rate": by_rate}


async def fanout_throughput(settings: Settings, authors: list[int], posts: int) -> float:
    """Feed entries written per second by two workers emptying a backlog of writes (posts
    and boosts, ``write_one``)."""
    # Counted as the entries that hold the posts once the queue is empty, after the clock
    # stops: a chunk holds many entries, so rows inserted say little.
    async with open_runtime(settings, pool_max=6) as runtime:
        recent: list[int] = []
        written = [await write_one(runtime, authors, i, recent) for i in range(posts)]
        started = time.perf_counter()
        await runtime.run_worker(concurrency=2, wait=False)
        elapsed = time.perf_counter() - started
    entries = await delivered(settings, written)
    return round(entries / elapsed, 1) if elapsed > 0 else 0.0
