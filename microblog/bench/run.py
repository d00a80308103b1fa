"""``microblog bench``: generate or reuse a profile's data, then measure every strategy."""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import redis
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from microblog.bench import dataset, http, measure, report
from microblog.bench import store as bench_store
from microblog.bench.profiles import Profile
from microblog.bench.progress import RichReporter
from microblog.feeds import strategy_class
from microblog.settings import Settings


@dataclass(frozen=True)
class Options:
    """What to measure and where to write the reports."""

    profile: Profile
    strategies: tuple[str, ...]
    caches: tuple[bool, ...]
    admin_url: str
    redis_url: str
    out_dir: Path
    http: bool = True
    # A shell command that restarts PostgreSQL, for the cold figure (None: not measured).
    restart_postgres: str | None = None


def machine() -> dict[str, Any]:
    """The machine the figures were measured on: cores, memory, CPU model, platform."""
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "cpu": model,
        "platform": platform.platform(),
    }


def versions(url: str, redis_url: str) -> dict[str, str]:
    """The versions of PostgreSQL, Redis, Python and the packages the server runs on."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    client = redis.Redis.from_url(redis_url)
    try:
        redis_version = str(client.info("server")["redis_version"])
    finally:
        client.close()
    found = {
        "python": platform.python_version(),
        "postgresql": str(row[0] if row else ""),
        "redis": redis_version,
    }
    packages = ("microblog", "fastapi", "uvicorn", "granian", "psycopg", "procrastinate", "redis")
    for package in packages:
        found[package if package != "redis" else "redis-py"] = version(package)
    return found


def _steps(options: Options) -> list[tuple[str, float]]:
    """The plan, with a rough cost of each step in seconds (for the time-left estimate)."""
    p = options.profile
    reads = 3 * 5 * p.samples * 0.004
    steps: list[tuple[str, float]] = [("data set", 60 if p.plan.users >= 10_000 else 5)]
    if options.http:
        steps.append(("floor: http", p.mixed_seconds + 10))
    for name in options.strategies:
        build = {"pull": 0.0, "matview": 120.0, "fanout": 240.0, "hybrid": 240.0}[name]
        build = build if p.plan.users >= 10_000 else build / 20
        steps.append((f"{name}: build", build))
        steps.append((f"{name}: verify", p.verify_readers * 0.5))
        for cache in options.caches:
            label = f"{name}{'+cache' if cache else ''}"
            steps.append((f"{label}: reads", reads))
            if options.http:
                steps.append((f"{label}: http", 8 * (p.http_seconds + 2) + p.mixed_seconds + 10))
        if strategy_class(name).traits.fans_out:
            steps.append((f"{name}: fan-out", len(p.write_rates) * (p.rate_seconds + 5) + 30))
    return steps


def run(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Measure, write ``<profile>.json``, ``.md`` and the plots; the results.

    Progress goes to ``console`` (by default a rich console on stderr).
    """
    console = console or Console(stderr=True)
    profile = options.profile
    steps = _steps(options)
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("starting", total=sum(cost for _, cost in steps))
        costs = dict(steps)

        def step(name: str) -> None:
            bar.update(task, description=name)

        def done(name: str) -> None:
            bar.advance(task, costs[name])

        step("data set")
        url = dataset.ensure(options.admin_url, profile, RichReporter(console))
        done("data set")
        readers = bench_store.readers(url)
        sample = bench_store.ids(url, "bench_sample_readers", profile.verify_readers)
        authors = bench_store.ids(url, "bench_authors", 200)
        base = Settings(
            database_url=url,
            redis_url=options.redis_url,
            secret_key=secrets.token_urlsafe(24),
            db_pool_min=1,
            db_pool_max=8,
        )
        bench_store.forget_jobs(url)
        top_author = bench_store.ids(url, "bench_reader_most_followed_author", 1)
        low_author = bench_store.ids(url, "bench_reader_least_followed_author", 1)
        post_authors = {"most_followed": top_author[0], "least_followed": low_author[0]}
        token_users = sorted({*readers.values(), *sample, *post_authors.values()})
        tokens = asyncio.run(measure.issue_tokens(base, token_users))
        marks = asyncio.run(measure.cursors(base, readers))
        results: dict[str, Any] = {
            "profile": profile.name,
            "machine": machine(),
            "versions": versions(url, options.redis_url),
            "settings": {
                "feed_cap": base.feed_cap,
                "matview_per_reader": base.matview_per_reader,
                "active_days": base.active_days,
                "celebrity_followers": base.celebrity_followers,
                "cache_ttl_seconds": base.feed_cache_ttl_seconds,
                "server": os.environ.get("MICROBLOG_SERVER", "uvicorn"),
                "server_workers": 2,
                "pool_max_per_process": base.db_pool_max,
                "samples_per_reader": profile.samples,
                "http_seconds": profile.http_seconds,
                "boost_after": measure.BOOST_AFTER,
                "plan": {
                    "users": profile.plan.users,
                    "posts": profile.plan.posts,
                    "follows_per_user": profile.plan.follows_per_user,
                    "shape": profile.plan.shape,
                    "seed": profile.plan.seed,
                    "inactive_share": profile.inactive_share,
                },
            },
            "dataset": {
                "database_bytes": int(bench_store.scalar(url, "bench_database_bytes")),
                "readers": readers,
            },
            "strategies": {},
        }
        if options.http:
            step("floor: http")
            results["floor"] = http.floor(base, profile.mixed_seconds)
            done("floor: http")
        for name in options.strategies:
            settings = base.replace(feed_strategy=name)
            step(f"{name}: build")
            keeps_state = strategy_class(name).traits.state != "none"
            build_seconds = asyncio.run(measure.build_state(settings)) if keeps_state else 0.0
            done(f"{name}: build")
            step(f"{name}: verify")
            wrong = asyncio.run(measure.mismatches(settings, sorted({*readers.values(), *sample})))
            done(f"{name}: verify")
            # The state as built, before the posts the HTTP figures write into it.
            built, entries = asyncio.run(measure.state_bytes(settings))
            own = asyncio.run(measure.own_settings(settings))
            for cache in options.caches:
                label = f"{name}{'+cache' if cache else ''}"
                cached = settings.replace(feed_cache="redis" if cache else "off")
                step(f"{label}: reads")
                figures: dict[str, Any] = {
                    "build_seconds": round(build_seconds, 1),
                    "strategy_settings": own,
                }
                figures.update(
                    asyncio.run(measure.page_reads(cached, readers, marks, profile.samples))
                )
                redis_bytes = asyncio.run(measure.cache_bytes(cached))
                figures["storage_bytes"] = built + redis_bytes
                figures["storage_detail"] = {
                    "postgres": built,
                    "redis": redis_bytes,
                    "total": built + redis_bytes,
                }
                figures["feed_entries"] = entries
                figures["bytes_per_entry"] = round(built / entries, 1) if entries else None
                figures["cold_first_page_ms"] = None
                done(f"{label}: reads")
                if options.http:
                    step(f"{label}: http")
                    figures.update(
                        http.figures(
                            cached,
                            readers,
                            tokens,
                            post_authors,
                            [tokens[u] for u in sample],
                            profile.http_seconds,
                            profile.mixed_seconds,
                        )
                    )
                    done(f"{label}: http")
                figures["mismatches"] = wrong
                figures["fanout_lag_ms"] = None
                figures["fanout_entries_per_s"] = None
                results["strategies"][label] = figures
            if strategy_class(name).traits.fans_out:
                step(f"{name}: fan-out")
                asyncio.run(measure.drain(settings))
                lag = asyncio.run(
                    measure.fanout_lag(
                        settings, authors, sample, profile.write_rates, profile.rate_seconds
                    )
                )
                rate = asyncio.run(
                    measure.fanout_throughput(settings, authors, profile.backlog_posts)
                )
                for cache in options.caches:
                    label = f"{name}{'+cache' if cache else ''}"
                    results["strategies"][label]["fanout_lag_ms"] = lag
                    results["strategies"][label]["fanout_entries_per_s"] = rate
                done(f"{name}: fan-out")
            else:
                # pull and matview: a post is in every reader's feed when it commits.
                for cache in options.caches:
                    label = f"{name}{'+cache' if cache else ''}"
                    results["strategies"][label]["fanout_lag_ms"] = {
                        "p50": 0.0,
                        "p99": 0.0,
                        "max": 0.0,
                        "n": 0,
                        "note": "visible at commit",
                    }
            if options.restart_postgres:
                # Last: a restart drops PostgreSQL's buffers and the kernel's page cache, which
                # would slow every figure measured after it until the data is read back.
                for cache in options.caches:
                    label = f"{name}{'+cache' if cache else ''}"
                    cached = settings.replace(feed_cache="redis" if cache else "off")
                    results["strategies"][label]["cold_first_page_ms"] = asyncio.run(
                        measure.cold_first_pages(
                            cached, sorted({*readers.values(), *sample}), options.restart_postgres
                        )
                    )
        results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report.write(results, options.out_dir)
    return results
