"""How far behind its primary a streaming replica is: per post written, and while a fan-out
writes.

A sampler in a process of its own (``replica_sampler``) asks the replica for
``pg_last_wal_replay_lsn()`` every ``POLL_SECONDS`` and, when asked, the primary for
``pg_current_wal_flush_lsn()`` just before, each answer stamped with ``time.monotonic``
when it came back. A WAL position that the primary had reached at time ``t`` (a post's
commit had returned, or the primary answered a sample) was replayed by the first replica
sample taken after ``t`` that shows it: the delay is that sample's time minus ``t``, late by
at most one poll and one query.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from microblog.bench import replica_store
from microblog.bench.stats import spread
from microblog.cluster import postgres
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings

POLL_SECONDS = 0.002
SAMPLER_LIMIT_SECONDS = 1800.0  # the sampler stops by itself after this, whatever happens
READY_SECONDS = 30.0
CATCH_UP_SECONDS = 300.0  # the most a phase waits for the replica after its writes
WRITERS = 16  # posts in flight at most; past that a post starts late


@dataclass
class Samples:
    """What the sampler saw: (time, primary flush position) and (time, replay position)."""

    primary: list[tuple[float, int]] = field(default_factory=list)
    replica: list[tuple[float, int]] = field(default_factory=list)


@contextlib.contextmanager
def sampling(
    replica_url: str, primary_url: str | None = None, interval: float = POLL_SECONDS
) -> Iterator[Samples]:
    """Sample for the block (``replica_sampler``); the samples are filled in when it ends."""
    argv = [sys.executable, "-m", "microblog.bench.replica_sampler", str(interval)]
    argv += [str(SAMPLER_LIMIT_SECONDS), replica_url, *([primary_url] if primary_url else [])]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    samples = Samples()
    try:
        ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
        if not ready or process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the replica sampler did not connect")
        yield samples
    finally:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate(timeout=10)
    found = json.loads(out or b"{}")
    samples.primary = [(float(t), int(lsn)) for t, lsn in found.get("primary", [])]
    samples.replica = [(float(t), int(lsn)) for t, lsn in found.get("replica", [])]


def replay_delays(
    reached: Sequence[tuple[float, int]], replayed: Sequence[tuple[float, int]]
) -> tuple[list[float], int]:
    """For each (time, position) the primary had reached, the milliseconds until the first
    replica sample after that time that had replayed it; and how many were never seen
    replayed. ``replayed`` is in time order."""
    times = [t for t, _ in replayed]
    positions: list[int] = []
    highest = 0
    for _, lsn in replayed:  # replay only moves forward; keep it so against odd samples
        highest = max(highest, lsn)
        positions.append(highest)
    delays: list[float] = []
    never = 0
    for at, lsn in reached:
        first = bisect.bisect_left(times, at)
        found = bisect.bisect_left(positions, lsn, lo=first)
        if found == len(positions):
            never += 1
        else:
            delays.append((times[found] - at) * 1000)
    return delays, never


def behind_bytes(samples: Samples) -> int:
    """The most WAL the replica was behind the primary, sample by sample (paired in order)."""
    return max(
        (max(0, p - r) for (_, p), (_, r) in zip(samples.primary, samples.replica, strict=False)),
        default=0,
    )


async def _post_and_mark(
    runtime: Runtime, author: int, text: str, gate: asyncio.Semaphore, reached: list[Any]
) -> None:
    """One post through the service; when its commit has returned, the primary's position."""
    async with gate:
        await runtime.microblog.create_post(author, text, None)
        committed = time.monotonic()
        async with runtime.pool.connection() as conn:
            cur = await conn.execute(replica_store.q("replicas_insert_lsn"))
            row = await cur.fetchone()
        assert row is not None
        reached.append((committed, int(row["lsn"])))


async def _write_at(
    settings: Settings, authors: Sequence[int], rate: int, seconds: float
) -> tuple[list[tuple[float, int]], float]:
    """Posts at ``rate`` per second for ``seconds`` (round-robin over the authors, at most
    ``WRITERS`` in flight); each post's (commit time, position), and the seconds taken."""
    reached: list[tuple[float, int]] = []
    gate = asyncio.Semaphore(WRITERS)
    total = max(1, round(rate * seconds))
    async with open_runtime(settings, pool_max=WRITERS + 2) as runtime:
        started = time.monotonic()
        tasks = []
        for i in range(total):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"replica lag post {rate}/{i}"
            post = _post_and_mark(runtime, authors[i % len(authors)], text, gate, reached)
            tasks.append(asyncio.create_task(post))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    return sorted(reached), elapsed


def write_lag(
    settings: Settings,
    replica_url: str,
    authors: Sequence[int],
    rates: Sequence[int],
    seconds: float,
) -> dict[str, Any]:
    """Per rate: posts/s achieved, commit-to-replayed delay per post (ms) and WAL per post."""
    primary_url = settings.database_url
    by_rate: dict[str, Any] = {}
    for rate in rates:
        postgres.wait_replayed(primary_url, replica_url, CATCH_UP_SECONDS)
        start = replica_store.insert_lsn(primary_url)
        with sampling(replica_url) as samples:
            reached, elapsed = asyncio.run(_write_at(settings, authors, rate, seconds))
            postgres.wait_replayed(primary_url, replica_url, CATCH_UP_SECONDS)
        delays, never = replay_delays(reached, samples.replica)
        end = max((lsn for _, lsn in reached), default=start)
        by_rate[str(rate)] = {
            "rate": rate,
            "posts": len(reached),
            # The schedule spans posts/rate seconds: a phase that kept up achieved the rate.
            "achieved_posts_per_s": round(len(reached) / max(elapsed, len(reached) / rate), 1),
            "lag_ms": spread(delays),
            "never_seen_replayed": never,
            "wal_bytes_per_post": round((end - start) / len(reached)) if reached else None,
            "replica_samples": len(samples.replica),
        }
    return {"by_rate": by_rate}
