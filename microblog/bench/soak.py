"""``microblog soak``: a real server under a mixed load for a bounded time, watched.

It seeds a database of its own (the ``small`` profile's network, dropped and made afresh on
every run), builds the strategy's state, starts ``microblog serve`` (two processes) and a
separate ``microblog worker`` on loopback with the feed cache on, and drives them with
virtual users (``soak_load``) while it samples memory, connections and the job backlog
(``soak_watch``). The report (``soak.md`` and ``soak.json``) gives errors by status code and
connection error, requests/s and p50/p99 latency per minute, memory per process over time,
open connections, and a verdict: no errors, and memory flat from the second minute to the
last.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from microblog.bench import measure, run, server, soak_load, soak_report, soak_store
from microblog.bench import store as bench_store
from microblog.bench.profiles import PROFILES
from microblog.bench.progress import RichReporter
from microblog.bench.soak_load import Account, Recorder, is_error
from microblog.bench.soak_watch import (
    BACKENDS_PRIVATE,
    SERVER,
    WORKER,
    Sample,
    Watcher,
    cpu_seconds,
    family,
)
from microblog.bench.stats import spread
from microblog.feeds import strategy_class
from microblog.runtime import open_runtime
from microblog.seeding import SeedPlan
from microblog.settings import Settings
from microblog.store import migrate
from microblog.store import seed as seeder

PROFILE = PROFILES["small"]  # 1,000 users, 50,000 posts, 100 follows each: seeded in seconds
DATABASE_PREFIX = "microblog_soak"  # the soak drops and recreates its database: never another
SERVER_PROCESSES = 2
POOL_MAX = 8  # PostgreSQL connections per server process (as the benchmark's server)
WORKER_CONCURRENCY = 2
FLAT_PERCENT = 10.0  # memory is flat when the last minute's median is within this of the second's
# Judged for the verdict; Redis is shown but not judged (other clients share it).
JUDGED = (SERVER, WORKER, BACKENDS_PRIVATE)


@dataclass(frozen=True)
class Options:
    """How long, against which strategy, with how many connections, and where to write."""

    admin_url: str
    redis_url: str
    out_dir: Path
    minutes: float = 5.0
    strategy: str = "fanout"
    cache: bool = True
    connections: int = 8
    database: str = DATABASE_PREFIX
    plan: SeedPlan = PROFILE.plan
    inactive_share: float = PROFILE.inactive_share

    @property
    def seconds(self) -> float:
        """How long the load runs."""
        return self.minutes * 60

    @property
    def window_seconds(self) -> float:
        """The span of each row of the report: a minute, or a third of a run under three."""
        return 60.0 if self.seconds >= 180 else self.seconds / 3

    @property
    def judges_memory(self) -> bool:
        """Memory is judged on runs of three minutes or more (the first is warm-up)."""
        return self.window_seconds == 60.0

    @property
    def sample_seconds(self) -> float:
        """Time between two samples of memory and connections."""
        return min(5.0, self.window_seconds / 4)


def check_database_name(name: str) -> None:
    """The soak drops its database: only names of its own are accepted."""
    if not name.startswith(DATABASE_PREFIX) or not name.replace("_", "").isalnum():
        raise ValueError(
            f"the soak's database is dropped and made again, so its name must start with "
            f"{DATABASE_PREFIX!r} (letters, digits, underscores): {name!r}"
        )


def soak(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Set up, run the load, write ``soak.json`` and ``soak.md``; the results."""
    check_database_name(options.database)
    console = console or Console(stderr=True)
    setup_started = time.perf_counter()
    console.print(f"soak: making {options.database} afresh")
    url = soak_store.recreate(options.admin_url, options.database)
    migrate.upgrade(url)
    with RichReporter(console) as reporter:
        seeded = seeder.seed(url, options.plan, soak_load.PASSWORD, force=True, reporter=reporter)
    bench_store.set_activity(url, options.inactive_share)
    settings = Settings(
        database_url=url,
        redis_url=options.redis_url,
        secret_key=secrets.token_urlsafe(24),
        feed_strategy=options.strategy,
        feed_cache="redis" if options.cache else "off",
        db_pool_min=1,
        db_pool_max=POOL_MAX,
    )
    build_seconds = 0.0
    if strategy_class(options.strategy).traits.state != "none":
        console.print(f"soak: building {options.strategy}'s feeds")
        build_seconds = asyncio.run(measure.build_state(settings))
    asyncio.run(_clear_cache(settings))
    accounts = _accounts(settings, options.connections)
    targets = bench_store.ids(url, "bench_authors", 200)
    setup_seconds = time.perf_counter() - setup_started
    console.print(
        f"soak: set up in {setup_seconds:.1f} s; {len(accounts)} virtual users for "
        f"{_duration(options.seconds)} against {options.strategy}"
        f"{' with the cache' if options.cache else ''}"
    )
    with (
        server.started(settings, SERVER_PROCESSES, run_worker=False) as running,
        server.working(settings, WORKER_CONCURRENCY) as worker,
    ):
        recorder, unfinished, samples, cpu, elapsed = asyncio.run(
            _load(options, running, worker.pid, settings, accounts, targets, console)
        )
    results: dict[str, Any] = {
        "machine": run.machine(),
        "versions": run.versions(url, options.redis_url),
        "settings": {
            "strategy": options.strategy,
            "cache": settings.feed_cache,
            "cache_ttl_seconds": settings.feed_cache_ttl_seconds,
            "feed_cap": settings.feed_cap,
            "server_processes": SERVER_PROCESSES,
            "pool_max_per_process": POOL_MAX,
            "worker_concurrency": WORKER_CONCURRENCY,
            "connections": len(accounts),
            "minutes": options.minutes,
            "window_seconds": options.window_seconds,
            "sample_seconds": options.sample_seconds,
            "mix": soak_load.MIX,
            "rate_limits": "off",
            "plan": {
                "users": options.plan.users,
                "posts": options.plan.posts,
                "follows_per_user": options.plan.follows_per_user,
                "shape": options.plan.shape,
                "seed": options.plan.seed,
                "inactive_share": options.inactive_share,
            },
        },
        "setup": {
            "seconds": round(setup_seconds, 1),
            "seed_seconds": round(seeded.seconds, 1),
            "build_seconds": round(build_seconds, 1),
            "database": options.database,
        },
        "cpu_seconds": cpu,
        **summarize(recorder.rows, samples, options.seconds, options.window_seconds, elapsed),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if unfinished:
        results["errors"]["by_kind"].insert(
            0,
            {"kind": "virtual user", "outcome": "still busy after the grace", "count": unfinished},
        )
        results["errors"]["total"] += unfinished
    results["verdict"] = verdict(results, options.judges_memory)
    soak_report.write(results, options.out_dir)
    return results


async def _clear_cache(settings: Settings) -> None:
    """No cached page of an earlier run (or of another database on this Redis) survives."""
    if settings.feed_cache == "off":
        return
    async with open_runtime(settings, pool_max=1) as runtime:
        if runtime.engine.cache is not None:
            await runtime.engine.cache.clear()


def _accounts(settings: Settings, n: int) -> list[Account]:
    """The benchmark's reader profiles first (most follows, median, sparse, ...), then a
    deterministic sample: ``n`` users, each with a token."""
    url = settings.database_url
    chosen: list[int] = []
    for user in [
        *bench_store.readers(url).values(),
        *bench_store.ids(url, "bench_sample_readers", n),
    ]:
        if user not in chosen and len(chosen) < n:
            chosen.append(user)
    tokens = asyncio.run(measure.issue_tokens(settings, chosen))
    names = soak_store.usernames(url, chosen)
    return [Account(u, names[u], tokens[u]) for u in chosen]


def _family_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) or 0.0 for p in family(pid))


async def _load(
    options: Options,
    running: server.Server,
    worker_pid: int,
    settings: Settings,
    accounts: list[Account],
    targets: list[int],
    console: Console,
) -> tuple[Recorder, int, list[Sample], dict[str, float], float]:
    """The load and the watcher side by side; what they saw, the CPU each part used, and
    how long the load took."""
    recorder = Recorder()
    watcher = Watcher(
        running.process.pid,
        worker_pid,
        settings.database_url,
        settings.redis_url,
        options.sample_seconds,
        recorder.started,
    )
    before = {
        "server": _family_cpu(running.process.pid),
        "job worker": cpu_seconds(worker_pid) or 0.0,
        "load generator": time.process_time(),
    }
    stop = asyncio.Event()
    watching = asyncio.create_task(watcher.run(stop))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("load", total=options.seconds)
        showing = asyncio.create_task(_show(bar, task, recorder, options.seconds))
        try:
            unfinished = await soak_load.drive(
                running.url, accounts, targets, recorder, options.seconds
            )
        finally:
            showing.cancel()
            stop.set()
            await asyncio.gather(showing, return_exceptions=True)
    await watching
    elapsed = time.perf_counter() - recorder.started
    after = {
        "server": _family_cpu(running.process.pid),
        "job worker": cpu_seconds(worker_pid) or 0.0,
        "load generator": time.process_time(),
    }
    cpu = {name: round(after[name] - before[name], 1) for name in before}
    return recorder, unfinished, watcher.samples, cpu, elapsed


async def _show(bar: Progress, task: Any, recorder: Recorder, seconds: float) -> None:
    """The live line: requests and errors so far."""
    errors = seen = 0
    while True:
        rows = recorder.rows
        errors += sum(1 for row in rows[seen:] if is_error(row[2]))
        seen = len(rows)
        elapsed = min(time.perf_counter() - recorder.started, seconds)
        bar.update(
            task, completed=elapsed, description=f"load: {seen:,} requests, {errors:,} errors"
        )
        await asyncio.sleep(1)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} s"


def summarize(
    rows: list[tuple[float, str, str, float]],
    samples: list[Sample],
    seconds: float,
    window: float,
    elapsed: float,
) -> dict[str, Any]:
    """The report's figures from every request and every sample: per window (a minute),
    per kind of request, errors, memory per process, connections and backlog."""
    n = max(1, math.ceil(seconds / window - 1e-9))

    def index(at: float) -> int:
        return min(int(at // window), n - 1)

    latencies: list[list[float]] = [[] for _ in range(n)]
    failures = [0] * n
    by_kind: dict[str, list[float]] = {}
    kind_errors: Counter[str] = Counter()
    errors: Counter[tuple[str, str]] = Counter()
    for at, kind, outcome, ms in rows:
        i = index(at)
        latencies[i].append(ms)
        by_kind.setdefault(kind, []).append(ms)
        if is_error(outcome):
            failures[i] += 1
            kind_errors[kind] += 1
            errors[(kind, outcome)] += 1
    windows = []
    for i in range(n):
        start = i * window
        span = window if i < n - 1 else max(elapsed - start, 1e-3)
        figures = spread(latencies[i])
        in_window = [s for s in samples if index(s.at) == i]
        windows.append(
            {
                "start": round(start, 1),
                "seconds": round(span, 1),
                "requests": len(latencies[i]),
                "rps": round(len(latencies[i]) / span, 1),
                "p50_ms": figures["p50"],
                "p99_ms": figures["p99"],
                "max_ms": figures["max"],
                "errors": failures[i],
                **_watched(in_window),
            }
        )
    total = len(rows)
    kinds = {
        kind: {
            **spread(values),
            "share": round(len(values) / total, 4) if total else 0.0,
            "errors": kind_errors[kind],
        }
        for kind, values in sorted(by_kind.items(), key=lambda item: -len(item[1]))
    }
    return {
        "requests": total,
        "rps": round(total / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms": spread([row[3] for row in rows]),
        "errors": {
            "total": sum(errors.values()),
            "by_kind": [
                {"kind": kind, "outcome": outcome, "count": count}
                for (kind, outcome), count in errors.most_common()
            ],
            "by_outcome": dict(Counter({o: c for (_, o), c in errors.items()}).most_common()),
        },
        "kinds": kinds,
        "windows": windows,
        "memory": _memory(samples, windows),
        "connections": _connections(samples),
        "server_pids": sorted({pid for s in samples for pid in s.server_pids}),
        "samples": [
            {
                "at": s.at,
                "rss": s.rss,
                "connections": s.connections,
                "jobs": s.jobs,
                "outbox": s.outbox,
                "load": s.load,
            }
            for s in samples
        ],
    }


def _watched(samples: list[Sample]) -> dict[str, Any]:
    """A window's samples: the median memory per process (a log-in's 64 MiB for a moment
    does not move it; a leak does), connections, backlog and load average at their most."""
    labels = sorted({label for s in samples for label in s.rss})
    median = {
        label: round(statistics.median(s.rss[label] for s in samples if label in s.rss))
        for label in labels
    }
    totals = [sum(s.connections.values()) for s in samples]
    return {
        "rss_median": median,
        "load_average_max": max((s.load for s in samples), default=None),
        "connections_min": min(totals, default=None),
        "connections_max": max(totals, default=None),
        "active_max": max((s.connections.get("active", 0) for s in samples), default=None),
        "idle_in_transaction_max": max(
            (s.connections.get("idle in transaction", 0) for s in samples), default=None
        ),
        "jobs_max": max((s.jobs for s in samples), default=None),
        "outbox_max": max((s.outbox for s in samples), default=None),
    }


def _memory(samples: list[Sample], windows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per process or group: first, last and largest sample, and the change from the second
    window's median to the last's (None under three windows)."""
    found: dict[str, dict[str, Any]] = {}
    labels = [label for s in samples for label in s.rss]
    for label in dict.fromkeys(labels):
        values = [s.rss[label] for s in samples if label in s.rss]
        change = None
        if len(windows) >= 3:
            second = windows[1]["rss_median"].get(label)
            last = windows[-1]["rss_median"].get(label)
            if second and last is not None:
                change = round((last - second) / second * 100, 1)
        found[label] = {
            "start": values[0],
            "end": values[-1],
            "max": max(values),
            "change_percent": change,
        }
    return found


def _connections(samples: list[Sample]) -> dict[str, float | None]:
    totals = [sum(s.connections.values()) for s in samples]
    return {
        "load_average_min": min((s.load for s in samples), default=None),
        "load_average_max": max((s.load for s in samples), default=None),
        "start": totals[0] if totals else None,
        "end": totals[-1] if totals else None,
        "max": max(totals, default=None),
        "jobs_end": samples[-1].jobs if samples else None,
        "outbox_end": samples[-1].outbox if samples else None,
    }


def verdict(results: dict[str, Any], judge_memory: bool = True) -> dict[str, Any]:
    """Errors (any fails the soak) and memory (flat when the judged processes' last window is
    within ``FLAT_PERCENT`` of their second; judged from three windows on, when asked)."""
    errors = int(results["errors"]["total"])
    memory = results["memory"]
    changes = {
        label: memory[label]["change_percent"]
        for label in JUDGED
        if label in memory and memory[label]["change_percent"] is not None
    }
    judged = judge_memory and len(results["windows"]) >= 3 and bool(changes)
    grew = {k: v for k, v in changes.items() if v > FLAT_PERCENT} if judged else {}
    status = "FAIL" if errors else ("WARN" if grew else "PASS")
    parts = [f"{errors:,} error{'' if errors == 1 else 's'} in {results['requests']:,} requests"]
    if not judged:
        parts.append("memory not judged (it takes three minutes or more)")
    else:
        shown = ", ".join(f"{label} {change:+.1f}%" for label, change in changes.items())
        state = "grew" if grew else "flat"
        parts.append(
            f"memory {state} from the second window to the last: {shown} (limit +{FLAT_PERCENT:g}%)"
        )
    return {
        "status": status,
        "errors": errors,
        "memory_flat": (not grew) if judged else None,
        "memory_change_percent": changes,
        "line": f"{status}: " + "; ".join(parts) + ".",
    }
