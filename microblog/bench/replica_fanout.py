"""Both sides of the push tables' ``UNLOGGED``: what fan-out costs with the tables as they
are, and after ``ALTER TABLE … SET LOGGED`` (which would let a replica hold them).

Per push strategy, on the benchmark's private primary, twice (UNLOGGED, then LOGGED): its
feeds built from empty (``measure.build_state``: the rebuild a crash forces on UNLOGGED
tables), then, ``ROUNDS`` times, a backlog of writes (``measure.write_one``: posts and
boosts) fanned out by two workers as ``measure.fanout_throughput`` measures it (entries
counted from the statistics' inserts), starting from a checkpoint; meanwhile the WAL the
fan-out wrote and, sampled every few milliseconds, how far behind the replica fell.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

from microblog.bench import measure, replica_store
from microblog.bench.replica_lag import CATCH_UP_SECONDS, behind_bytes, replay_delays, sampling
from microblog.bench.stats import spread
from microblog.cluster import postgres
from microblog.feeds import strategy_class
from microblog.runtime import open_runtime
from microblog.settings import Settings

WORKER_CONCURRENCY = 2
# Backlogs fanned out per case: one lasts a second or two, which the machine's other load
# can halve; the median of three says more.
ROUNDS = 3
AUTHORS_PER_ROUND = 200


async def _backlog(settings: Settings, authors: Sequence[int], posts: int) -> list[int]:
    """The writes whose fan-out is measured, queued (no worker runs meanwhile); their ids."""
    async with open_runtime(settings, pool_max=4) as runtime:
        recent: list[int] = []
        return [await measure.write_one(runtime, list(authors), i, recent) for i in range(posts)]


async def _drain(settings: Settings) -> float:
    """Two workers empty the queue; the seconds they took."""
    async with open_runtime(settings, pool_max=6) as runtime:
        started = time.perf_counter()
        await runtime.run_worker(concurrency=WORKER_CONCURRENCY, wait=False)
        return time.perf_counter() - started


def _round(
    settings: Settings, replica_url: str, authors: Sequence[int], posts: int
) -> tuple[dict[str, Any], list[float], int]:
    """One backlog fanned out from a checkpoint: its figures, the replica's delays (ms)
    meanwhile, and the positions never seen replayed."""
    primary_url = settings.database_url
    asyncio.run(_drain(settings))  # what earlier figures queued, unmeasured
    written = asyncio.run(_backlog(settings, authors, posts))
    postgres.wait_replayed(primary_url, replica_url, CATCH_UP_SECONDS)
    replica_store.checkpoint(primary_url)
    with sampling(replica_url, primary_url) as samples:
        start = replica_store.insert_lsn(primary_url)
        seconds = asyncio.run(_drain(settings))
        end = replica_store.insert_lsn(primary_url)
        finished = time.monotonic()
        postgres.wait_replayed(primary_url, replica_url, CATCH_UP_SECONDS)
        caught_up = time.monotonic() - finished
    entries = asyncio.run(measure.delivered(settings, written))
    delays, never = replay_delays(samples.primary, samples.replica)
    figures = {
        "entries": entries,
        "seconds": round(seconds, 3),
        "entries_per_s": round(entries / seconds, 1) if seconds > 0 else 0.0,
        "wal_bytes": end - start,
        "replica_lag_ms": spread(delays),
        "replica_behind_bytes_max": behind_bytes(samples),
        "replica_caught_up_after_ms": round(caught_up * 1000, 1),
    }
    return figures, delays, never


def fanout_case(
    settings: Settings, replica_url: str, authors: Sequence[int], posts: int, rounds: int
) -> dict[str, Any]:
    """Build the serving strategy's feeds, then fan out ``rounds`` backlogs: entries/s (the
    median round's), WAL per entry, and the replica's lag meanwhile (over every round)."""
    primary_url = settings.database_url
    tables = measure_tables(settings)
    start = replica_store.insert_lsn(primary_url)
    build_seconds = asyncio.run(measure.build_state(settings))
    build_wal = replica_store.insert_lsn(primary_url) - start
    done: list[dict[str, Any]] = []
    delays: list[float] = []
    never = 0
    for index in range(rounds):
        # Each round its own authors, so its own followers' feed pages: a round does not
        # find in memory the pages the round before it read (as a fan-out of a post
        # written later would not, where the feeds outgrow shared_buffers).
        own = authors[index::rounds] or authors
        figures, round_delays, round_never = _round(settings, replica_url, own, posts)
        done.append(figures)
        delays += round_delays
        never += round_never
    entries = sum(r["entries"] for r in done)
    wal = sum(r["wal_bytes"] for r in done)
    return {
        "persistence": replica_store.persistence(primary_url, tables),
        "build_seconds": round(build_seconds, 2),
        "build_wal_bytes": build_wal,
        "posts": posts,
        "entries": entries,
        "entries_per_s": statistics.median(r["entries_per_s"] for r in done),
        "wal_bytes": wal,
        "wal_bytes_per_entry": round(wal / entries, 1) if entries else None,
        "replica_lag_ms": spread(delays),
        "never_seen_replayed": never,
        "replica_behind_bytes_max": max(r["replica_behind_bytes_max"] for r in done),
        "replica_caught_up_after_ms": max(r["replica_caught_up_after_ms"] for r in done),
        "state_bytes": replica_store.table_bytes(primary_url, tables),
        "rounds": done,
    }


def measure_tables(settings: Settings) -> tuple[str, ...]:
    """The serving strategy's tables."""
    return strategy_class(settings.feed_strategy).tables


def logged_and_unlogged(
    settings: Settings, replica_url: str, authors: Sequence[int], posts: int, rounds: int = ROUNDS
) -> dict[str, Any]:
    """The strategy's fan-out with its tables UNLOGGED (as migrated), then LOGGED."""
    unlogged = fanout_case(settings, replica_url, authors, posts, rounds)
    switch = replica_store.set_logged(settings.database_url, measure_tables(settings))
    logged = fanout_case(settings, replica_url, authors, posts, rounds)
    return {"unlogged": unlogged, "set_logged": switch, "logged": logged}
