"""``microblog bench-fleet``: the fan-out throughput and lag of a fleet of ``microblog worker``
processes (1, then 2, …) on a profile's bench database, to ``fleet-<profile>.md`` / ``.json``.

For each fleet size, two figures, both with posts from many authors written through the
service (``--posts`` of them, from a few writers at once):

- **backlog**: the posts are written with no worker running, then the workers start; from
  the moment they are registered until the outbox is empty: posts/s and feed entries/s, the
  fleet's capacity;
- **steady**: with the workers running, the posts are written as fast as the writers go;
  each post's lag from its commit to its fan-out's commit (seen leaving the outbox, polled
  every 10 ms), and the rates from the first commit to the last fan-out.

The serving strategy is ``fanout``; its feeds are built for every reader first. The workers
are real processes started like an operator would (``python -m microblog.cli worker``).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from rich.console import Console

from microblog.bench import dataset, measure
from microblog.bench import store as bench_store
from microblog.bench.profiles import Profile
from microblog.bench.progress import RichReporter
from microblog.bench.run import machine, versions
from microblog.bench.stats import spread
from microblog.cluster import procs
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings
from microblog.store.queries import load

AUTHORS = 500  # distinct authors of the written posts
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 300.0  # a fleet that has not emptied the outbox by then is reported as such


@dataclass(frozen=True)
class Options:
    """Which database, which fleet sizes, how many posts, where the report goes."""

    profile: Profile
    admin_url: str
    redis_url: str
    workers: tuple[int, ...]
    posts: int
    out_dir: Path
    concurrency: int = 2
    writers: int = 4


def q(name: str) -> LiteralString:
    """One of the figure's named SQL blocks (``bench/sql/fleet.sql``)."""
    return load("fleet", "microblog.bench")[name]


def _count(url: str, name: str, **params: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(q(name), params).fetchone()
    return int(row[0]) if row else 0


async def _number(runtime: Runtime, name: str, **params: object) -> int:
    """One count, on the runtime's pool (polled every 10 ms: no new connection each time)."""
    async with runtime.pool.connection() as conn:
        cur = await conn.execute(q(name), params)
        row = await cur.fetchone()
    return int(next(iter(row.values()))) if row else 0


def run_fleet(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Measure every fleet size, write the reports; the results."""
    console = console or Console(stderr=True)
    url = dataset.ensure(options.admin_url, options.profile, RichReporter(console))
    settings = Settings(
        database_url=url,
        redis_url=options.redis_url,
        secret_key=secrets.token_urlsafe(24),
        feed_strategy="fanout",
        db_pool_min=1,
        db_pool_max=options.writers + 2,
    )
    console.print("bench-fleet: building the fanout feeds of every reader")
    build_seconds = asyncio.run(measure.build_state(settings))
    authors = bench_store.ids(url, "bench_authors", AUTHORS)
    bench_store.forget_jobs(url)
    load_before = os.getloadavg()[0]
    runs = []
    for count in options.workers:
        console.print(f"bench-fleet: {count} worker process(es), {options.posts} posts twice")
        runs.append(asyncio.run(measure_fleet(settings, count, authors, options)))
        bench_store.forget_jobs(url)
    results: dict[str, Any] = {
        "profile": options.profile.name,
        "machine": machine(),
        "versions": versions(url, options.redis_url),
        "settings": {
            "feed_strategy": settings.feed_strategy,
            "fanout_batch": settings.fanout_batch,
            "fanout_large_followers": settings.fanout_large_followers,
            "worker_concurrency": options.concurrency,
            "writers": options.writers,
            "posts": options.posts,
            "authors": len(authors),
            "build_seconds": round(build_seconds, 1),
        },
        "runs": runs,
        # Other work on the machine skews the figures: the 1-minute load before and after.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    options.out_dir.mkdir(parents=True, exist_ok=True)
    stem = options.out_dir / f"fleet-{options.profile.name}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    stem.with_suffix(".md").write_text(report(results))
    return results


async def measure_fleet(
    settings: Settings, count: int, authors: list[int], options: Options
) -> dict[str, Any]:
    """The backlog and steady figures of ``count`` worker processes."""
    url = settings.database_url
    if _count(url, "fleet_outbox"):
        raise RuntimeError("posts already wait in the outbox: drain it first (microblog worker)")
    first_job = _count(url, "fleet_last_job")
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as logs:
        async with open_runtime(settings, pool_max=options.writers + 2) as runtime:
            backlog = await write_posts(runtime, authors, options.posts, options.writers, {})
            registered = _count(url, "fleet_last_worker")
            fleet = [
                start_worker(settings, i, options.concurrency, Path(logs)) for i in range(count)
            ]
            try:
                # Two procrastinate workers per process: fanout_large has slots of its own.
                await _until(
                    runtime, fleet, lambda n: n >= 2 * count, "fleet_workers", after=registered
                )
                started = time.perf_counter()
                await _until(runtime, fleet, lambda n: n == 0, "fleet_waiting", post_ids=backlog)
                backlog_seconds = time.perf_counter() - started
                steady = await steady_figure(runtime, authors, options)
            finally:
                for proc in fleet:
                    procs.stop(proc)
    backlog_entries = _count(url, "fleet_entries", post_ids=backlog)
    with psycopg.connect(url) as conn:
        row = conn.execute(q("fleet_jobs"), {"after": first_job}).fetchone()
    jobs, attempts = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "workers": count,
        "backlog": {
            "posts": len(backlog),
            "entries": backlog_entries,
            "seconds": round(backlog_seconds, 3),
            "posts_per_s": _rate(len(backlog), backlog_seconds),
            "entries_per_s": _rate(backlog_entries, backlog_seconds),
        },
        "steady": steady,
        "fan_out_jobs": jobs,
        "fan_out_job_attempts": attempts,
    }


async def steady_figure(runtime: Runtime, authors: list[int], options: Options) -> dict[str, Any]:
    """Posts written as fast as the writers go while the fleet runs: commit-to-fan-out lag
    and the rates."""
    url = runtime.settings.database_url
    written: dict[int, float] = {}
    departed: dict[int, float] = {}
    writing = asyncio.create_task(
        write_posts(runtime, authors, options.posts, options.writers, written)
    )
    deadline: float | None = None
    while not writing.done() or len(departed) < len(written):
        pending = [p for p in written if p not in departed]
        if pending:
            async with runtime.pool.connection() as conn:
                cur = await conn.execute(q("fleet_waiting_ids"), {"post_ids": pending})
                still = {row["post_id"] for row in await cur.fetchall()}
            now = time.perf_counter()
            departed.update({p: now for p in pending if p not in still})
        if writing.done():
            deadline = deadline or time.perf_counter() + GIVE_UP_SECONDS
            if time.perf_counter() > deadline:
                break
        await asyncio.sleep(POLL_SECONDS)
    posts = await writing
    lags = [(departed[p] - written[p]) * 1000 for p in departed]
    first, last_commit = min(written.values()), max(written.values())
    span = (max(departed.values()) - first) if departed else 0.0
    entries = _count(url, "fleet_entries", post_ids=posts)
    return {
        "posts": len(posts),
        "entries": entries,
        "write_posts_per_s": _rate(len(posts), last_commit - first),
        "posts_per_s": _rate(len(departed), span),
        "entries_per_s": _rate(entries, span),
        "lag_ms": spread(lags),
        "unfinished": len(written) - len(departed),
    }


async def write_posts(
    runtime: Runtime, authors: list[int], count: int, writers: int, written: dict[int, float]
) -> list[int]:
    """``count`` posts by the authors in turn, from ``writers`` writers at once; each post's
    commit time goes into ``written``."""

    async def writer(k: int) -> list[int]:
        made = []
        for i in range(k, count, writers):
            post = await runtime.microblog.create_post(
                authors[i % len(authors)], f"fleet post {i}", None
            )
            written[post.id] = time.perf_counter()
            made.append(post.id)
        return made

    shares = await asyncio.gather(*(writer(k) for k in range(writers)))
    return sorted(p for share in shares for p in share)


def start_worker(settings: Settings, index: int, concurrency: int, logs: Path) -> procs.Proc:
    """A ``microblog worker`` process on every queue, keeping its finished jobs (counted)."""
    env = {
        "MICROBLOG_DATABASE_URL": settings.database_url,
        "MICROBLOG_REDIS_URL": settings.redis_url,
        "MICROBLOG_FEED_STRATEGY": settings.feed_strategy,
        "MICROBLOG_FANOUT_BATCH": str(settings.fanout_batch),
        "MICROBLOG_FANOUT_LARGE_FOLLOWERS": str(settings.fanout_large_followers),
    }
    argv = [sys.executable, "-m", "microblog.cli", "worker", "--delete-jobs", "never"]
    argv += ["--concurrency", str(concurrency)]
    return procs.spawn(f"worker-{index}", argv, logs / f"worker-{index}.log", env=env)


async def _until(
    runtime: Runtime,
    fleet: list[procs.Proc],
    done: Callable[[int], bool],
    name: str,
    **params: object,
) -> None:
    """Poll a count until ``done`` says so; fail if a worker exits or it takes too long."""
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    while not done(await _number(runtime, name, **params)):
        for proc in fleet:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        if time.perf_counter() > deadline:
            raise RuntimeError("the fleet did not finish in time")
        await asyncio.sleep(POLL_SECONDS)


def _rate(amount: float, seconds: float) -> float:
    return round(amount / seconds, 1) if seconds > 0 else 0.0


def report(results: dict[str, Any]) -> str:
    """The Markdown report."""
    s = results["settings"]
    m = results["machine"]
    lines = [
        f"# Worker fleet: fan-out on the `{results['profile']}` profile",
        "",
        f"`microblog bench-fleet`: {s['posts']} posts by {s['authors']} authors, written "
        f"through the service by {s['writers']} writers at once; `fanout` strategy (feeds of "
        f"every reader built in {s['build_seconds']} s); `MICROBLOG_FANOUT_BATCH="
        f"{s['fanout_batch']}`, `MICROBLOG_FANOUT_LARGE_FOLLOWERS="
        f"{s['fanout_large_followers']}`; each worker process `--concurrency "
        f"{s['worker_concurrency']}` (per group of queues). Machine: {m['cores']} cores, "
        f"{m['cpu']}; the writers, the workers and PostgreSQL share it (1-minute load "
        f"average {results['load_average'][0]} before, {results['load_average'][1]} after).",
        "",
        "**Backlog**: the posts written with no worker running, then the fleet starts; from "
        "its registration to an empty outbox. **Steady**: the posts written while the fleet "
        "runs, as fast as the writers go; lag from each post's commit to its fan-out's "
        "commit (polled every 10 ms), rates from the first commit to the last fan-out.",
        "",
        "| workers | backlog posts/s | backlog entries/s | steady writes/s | steady posts/s "
        "| steady entries/s | lag p50 ms | lag p99 ms | fan-out jobs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        b, st = run["backlog"], run["steady"]
        lag = st["lag_ms"]
        lines.append(
            f"| {run['workers']} | {b['posts_per_s']:,.0f} | {b['entries_per_s']:,.0f} "
            f"| {st['write_posts_per_s']:,.0f} | {st['posts_per_s']:,.0f} "
            f"| {st['entries_per_s']:,.0f} | {lag['p50']} | {lag['p99']} "
            f"| {run['fan_out_jobs']} |"
        )
    lines += [
        "",
        "Fan-out jobs: how many the run queued for its "
        f"{2 * s['posts']} posts (a queue has at most one waiting; each takes batches until "
        "its queue is empty).",
        "",
    ]
    return "\n".join(lines)
