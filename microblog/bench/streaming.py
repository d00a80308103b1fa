"""``microblog bench-stream``: how long a post takes from its commit to every follower's
live stream, with many streams connected, at fixed write rates.

On a profile's benchmark database (``bench.dataset``, as ``microblog bench``), it picks
authors (``bench_authors``) and up to ``clients`` readers among the accounts that follow
them, issues their tokens, and then for each strategy (its state built as the benchmark
builds it) and each live bus (Redis pub/sub, PostgreSQL ``NOTIFY``) starts a real
``microblog serve`` (two processes, no in-process worker) and a separate ``microblog
worker`` on loopback, opens every reader's ``/api/v1/streaming/user`` (``stream_clients``:
raw connections, one process), makes sure each stream is subscribed (one probe post per
author, awaited on every stream), and posts through the HTTP API at each rate for a bounded
time, round-robin over the authors.

Per post it keeps its ``created_at`` (the start of its transaction, so at most its commit:
the delays are upper bounds by the length of that transaction) and when its ``POST``
answered (after the commit); per (post, stream of a follower or of the author) the arrival.
It reports p50/p99/max of arrival - ``created_at`` over every pair, the same per post for
its last follower ("reached every follower"), arrival - response as a lower bound, and the
deliveries expected, received and missed: every connected follower must get every post.
Everything is bounded: ``seconds`` of posting per rate, then at most ``drain_seconds`` for
late deliveries.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from rich.console import Console

from microblog.bench import dataset, measure, run, server, stream_report, stream_store
from microblog.bench import store as bench_store
from microblog.bench.profiles import Profile
from microblog.bench.progress import RichReporter
from microblog.bench.stats import spread
from microblog.bench.stream_clients import StreamReader, open_all, raise_fd_limit
from microblog.feeds import strategy_class
from microblog.settings import Settings

SERVER_PROCESSES = 2
POOL_MAX = 8  # PostgreSQL connections per server process (as the benchmark's server)
WORKER_CONCURRENCY = 2
POSTS_IN_FLIGHT = 32  # POSTs outstanding at most; past that a write starts late
OPEN_CONCURRENCY = 50  # streams being opened at once
READY_SECONDS = 30.0  # the most the probe waits for every stream to hear its authors
POLL_SECONDS = 0.05

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """What to measure, on which data, and where to write the report."""

    profile: Profile
    admin_url: str
    redis_url: str
    out_dir: Path
    strategies: tuple[str, ...] = ("pull", "fanout", "matview", "hybrid")
    buses: tuple[str, ...] = ("redis", "postgres")
    clients: int = 1000
    authors: int = 50
    rates: tuple[int, ...] = (10, 100)
    seconds: float = 10.0
    drain_seconds: float = 30.0
    cache: bool = False

    @property
    def name(self) -> str:
        """The report's name: ``streaming-<profile>``."""
        return f"streaming-{self.profile.name}"


@dataclass(frozen=True)
class Written:
    """One post of a phase: its author, and when its POST was sent and answered."""

    author: int
    sent: float
    answered: float


@dataclass(frozen=True)
class Audience:
    """The measured accounts: authors, readers, each author's followers among the readers,
    and everyone's token."""

    authors: list[int]
    readers: list[int]
    followers: dict[int, set[int]]
    tokens: dict[int, str]


def run_streaming(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Measure every (strategy, bus), write ``streaming-<profile>.json`` and ``.md``; the
    results."""
    console = console or Console(stderr=True)
    with RichReporter(console) as reporter:
        url = dataset.ensure(options.admin_url, options.profile, reporter)
    bench_store.forget_jobs(url)
    authors = bench_store.ids(url, "bench_authors", options.authors)
    readers = stream_store.readers(url, authors, options.clients)
    base = Settings(
        database_url=url,
        redis_url=options.redis_url,
        secret_key=secrets.token_urlsafe(24),
        feed_cache="redis" if options.cache else "off",
        db_pool_min=1,
        db_pool_max=POOL_MAX,
    )
    console.print(f"bench-stream: {len(readers)} readers of {len(authors)} authors; tokens")
    audience = Audience(
        authors,
        readers,
        stream_store.followers(url, authors, readers),
        asyncio.run(measure.issue_tokens(base, sorted({*authors, *readers}))),
    )
    plan = options.profile.plan
    results: dict[str, Any] = {
        "name": options.name,
        "profile": options.profile.name,
        "machine": run.machine(),
        "versions": run.versions(url, options.redis_url),
        "settings": {
            "clients_asked": options.clients,
            "readers": len(readers),
            "authors": len(authors),
            "rates": list(options.rates),
            "seconds_per_rate": options.seconds,
            "drain_seconds": options.drain_seconds,
            "cache": base.feed_cache,
            "server_processes": SERVER_PROCESSES,
            "pool_max_per_process": POOL_MAX,
            "worker_concurrency": WORKER_CONCURRENCY,
            "posts_in_flight": POSTS_IN_FLIGHT,
            "plan": {
                "users": plan.users,
                "posts": plan.posts,
                "follows_per_user": plan.follows_per_user,
                "shape": plan.shape,
                "seed": plan.seed,
            },
        },
        "configurations": {},
    }
    for name in options.strategies:
        settings = base.replace(feed_strategy=name)
        build_seconds = 0.0
        if strategy_class(name).traits.state != "none":
            console.print(f"bench-stream: building {name}'s state")
            build_seconds = asyncio.run(measure.build_state(settings))
        for bus in options.buses:
            console.print(f"bench-stream: {name} over {bus}")
            live = settings.replace(live_bus=bus)
            with (
                server.started(live, SERVER_PROCESSES, run_worker=False) as running,
                server.working(live, WORKER_CONCURRENCY),
            ):
                figures = _run(_measure(url, running.url, audience, options))
            figures |= {"strategy": name, "bus": bus, "build_seconds": round(build_seconds, 1)}
            results["configurations"][f"{name}/{bus}"] = figures
            bench_store.forget_jobs(url)
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    stream_report.write(results, options.out_dir)
    return results


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (it is uvicorn's), else on asyncio's loop: a
    thousand streams in one process want the cheaper loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


async def _measure(url: str, base_url: str, audience: Audience, options: Options) -> dict[str, Any]:
    """Open the streams, probe them, then each rate's phase; the figures."""
    raise_fd_limit(len(audience.readers) + 256)
    address = urlsplit(base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    streams = [StreamReader(r, audience.tokens[r]) for r in audience.readers]
    started = time.perf_counter()
    refused = await open_all(streams, host, port, OPEN_CONCURRENCY)
    open_seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "streams_opened": sum(s.open for s in streams),
        "streams_refused": refused,
        "open_seconds": round(open_seconds, 2),
    }
    limits = httpx.Limits(
        max_connections=POSTS_IN_FLIGHT, max_keepalive_connections=POSTS_IN_FLIGHT
    )
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as http:
            figures["probe"] = await _probe(http, streams, audience)
            figures["phases"] = {
                str(rate): await _phase(url, http, streams, audience, rate, options)
                for rate in options.rates
            }
    finally:
        await asyncio.gather(*(s.stopped() for s in streams))
    figures["streams_ended_by_server"] = sum(1 for s in streams if s.ended)
    figures["heartbeats"] = sum(s.heartbeats for s in streams)
    return figures


async def _post(
    http: httpx.AsyncClient,
    audience: Audience,
    author: int,
    text: str,
    gate: asyncio.Semaphore,
    written: dict[int, Written],
    errors: Counter[str],
) -> None:
    """One post through the API; recorded with its times, or counted as an error."""
    async with gate:
        sent = time.time()
        try:
            response = await http.post(
                "/api/v1/statuses",
                data={"status": text},
                headers={"Authorization": f"Bearer {audience.tokens[author]}"},
            )
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
            return
        answered = time.time()
    if response.status_code != 200:
        errors[str(response.status_code)] += 1
        return
    written[int(response.json()["id"])] = Written(author, sent, answered)


async def _probe(
    http: httpx.AsyncClient, streams: list[StreamReader], audience: Audience
) -> dict[str, Any]:
    """One post per author, awaited on every open stream: a stream that hears one is
    subscribed at its server (the SSE response starts before its subscription does), so
    the measured posts find every stream listening. Waits at most ``READY_SECONDS``."""
    gate = asyncio.Semaphore(POSTS_IN_FLIGHT)
    written: dict[int, Written] = {}
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _post(http, audience, a, "streaming benchmark probe", gate, written, errors)
            for a in audience.authors
        )
    )
    probes = set(written)
    deadline = started + READY_SECONDS
    waiting = [s for s in streams if s.open]
    while waiting and time.perf_counter() < deadline:
        waiting = [s for s in waiting if s.open and not probes & s.arrivals.keys()]
        await asyncio.sleep(POLL_SECONDS)
    return {
        "posts": len(written),
        "errors": dict(errors),
        "streams_ready": sum(1 for s in streams if s.open and probes & s.arrivals.keys()),
        "seconds": round(time.perf_counter() - started, 2),
    }


async def _phase(
    url: str,
    http: httpx.AsyncClient,
    streams: list[StreamReader],
    audience: Audience,
    rate: int,
    options: Options,
) -> dict[str, Any]:
    """Post at ``rate`` per second for ``options.seconds``, wait for the deliveries, and
    measure them."""
    listening = {s.user_id: s for s in streams if s.open}
    duplicates = sum(s.duplicates for s in listening.values())
    total = max(1, round(rate * options.seconds))
    written: dict[int, Written] = {}
    errors: Counter[str] = Counter()
    gate = asyncio.Semaphore(POSTS_IN_FLIGHT)
    cpu_started = time.process_time()
    started = time.perf_counter()
    writing: list[asyncio.Task[None]] = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        author = audience.authors[i % len(audience.authors)]
        text = f"streaming benchmark post {rate}/{i}"
        writing.append(
            asyncio.create_task(_post(http, audience, author, text, gate, written, errors))
        )
    await asyncio.gather(*writing)
    posting_seconds = time.perf_counter() - started
    # Who must hear each post: its author's followers among the connected readers, and
    # the author (a home timeline shows one's own posts).
    expected = [
        (post_id, listening[reader])
        for post_id, w in written.items()
        for reader in audience.followers[w.author] | {w.author}
        if reader in listening
    ]
    missing = expected
    waited = time.perf_counter()
    deadline = waited + options.drain_seconds
    while missing and time.perf_counter() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        missing = [(p, s) for p, s in missing if p not in s.arrivals]
    drain_seconds = time.perf_counter() - waited
    cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started
    created = await asyncio.to_thread(stream_store.created, url, list(written))
    return {
        "rate": rate,
        "posts": len(written),
        "post_errors": dict(errors),
        "achieved_posts_per_s": round(len(written) / posting_seconds, 1),
        "post_ms": spread([(w.answered - w.sent) * 1000 for w in written.values()]),
        "streams": len(listening),
        **_deliveries(written, created, expected, listening),
        "duplicates": sum(s.duplicates for s in listening.values()) - duplicates,
        "drain_seconds": round(drain_seconds, 2),
        "streams_closed": sum(1 for s in listening.values() if not s.open),
        "client_cpu_percent": round(100 * cpu / elapsed, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _deliveries(
    written: dict[int, Written],
    created: dict[int, float],
    expected: Sequence[tuple[int, StreamReader]],
    listening: dict[int, StreamReader],
) -> dict[str, Any]:
    """Counts and delays of one phase's deliveries (ms)."""
    from_commit: list[float] = []
    from_answer: list[float] = []
    last: dict[int, float] = {}
    incomplete: set[int] = set()
    for post_id, stream in expected:
        arrived = stream.arrivals.get(post_id)
        if arrived is None:
            incomplete.add(post_id)
            continue
        delay = (arrived - created[post_id]) * 1000
        from_commit.append(delay)
        from_answer.append((arrived - written[post_id].answered) * 1000)
        last[post_id] = max(last.get(post_id, delay), delay)
    wanted = {(p, s.user_id) for p, s in expected}
    unexpected = sum(
        1
        for stream in listening.values()
        for post_id in written.keys() & stream.arrivals.keys()
        if (post_id, stream.user_id) not in wanted
    )
    return {
        "expected": len(expected),
        "received": len(from_commit),
        "missed": len(expected) - len(from_commit),
        "unexpected": unexpected,
        "followers_per_post": round(len(expected) / len(written), 1) if written else 0.0,
        "delay_ms": spread(from_commit),
        "every_follower_ms": spread(
            [delay for post_id, delay in last.items() if post_id not in incomplete]
        ),
        "after_response_ms": spread(from_answer),
    }
