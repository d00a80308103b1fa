"""``microblog bench-replicas``: what a streaming replica adds to read throughput, how far it
lags behind writes, and what the push tables' ``UNLOGGED`` (which keeps them off replicas)
saves the fan-out.

Everything runs on a private topology under a temporary folder: a PostgreSQL primary on a
free loopback port (the machine's binaries, run as the ``postgres`` account when root),
seeded with the profile's plan, then a streaming replica made by ``pg_basebackup``; both are
stopped and the folder removed at the end, whatever happens. Three figures:

1. Reads (``reads.lua``: home timelines, the public timeline, accounts' statuses) from wrk
   against a real ``microblog serve``, with no replica and with one, per read strategy; the
   share of the transactions each server committed meanwhile (``replica_reads``).
2. The replica's lag behind posts written through the service at fixed rates
   (``replica_lag``).
3. Fan-out with the push tables UNLOGGED and LOGGED (``replica_fanout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from microblog.bench import (
    http,
    measure,
    replica_fanout,
    replica_lag,
    replica_reads,
    replica_report,
)
from microblog.bench import run as bench_run
from microblog.bench import store as bench_store
from microblog.bench.profiles import Profile
from microblog.bench.progress import RichReporter
from microblog.cluster import postgres, procs
from microblog.feeds import strategy_class
from microblog.settings import Settings
from microblog.store import migrate
from microblog.store import seed as seeder

DATABASE = "microblog_replicas"
# As the machine's own PostgreSQL, which the other benchmarks measure (the rehearsal's
# servers run without fsync): commits and checkpoints wait for the disk.
DURABLE = {"fsync": "on"}
NEEDED = ("initdb", "pg_basebackup", "postgres", "wrk")
POOL_MAX = 8  # PostgreSQL connections per server process, to each server (as the benchmark)
MIX = {"home": 70, "public": 15, "account_statuses": 15}  # as reads.lua sends them
REPLICA_MAX_LAG_SECONDS = 10


@dataclass(frozen=True)
class Options:
    """What to measure, on which data, and where to write the report."""

    profile: Profile
    redis_url: str
    out_dir: Path
    seconds: float = 5.0
    read_strategies: tuple[str, ...] = ("pull", "matview")
    push_strategies: tuple[str, ...] = ("fanout", "hybrid")
    rates: tuple[int, ...] = (10, 100, 500)
    backlog_posts: int = 1000
    fanout_rounds: int = replica_fanout.ROUNDS
    readers: int = 40  # tokens the reads rotate over
    accounts: int = 50  # accounts whose statuses they read

    @property
    def name(self) -> str:
        """The report's name: ``replicas-<profile>``."""
        return f"replicas-{self.profile.name}"


@dataclass
class Topology:
    """The private primary and, once made, its replica."""

    root: Path
    primary: postgres.PgServer
    replica: postgres.PgServer | None = None
    servers: list[postgres.PgServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.primary.url(DATABASE)

    @property
    def replica_url(self) -> str:
        assert self.replica is not None
        return self.replica.url(DATABASE)

    def add_replica(self) -> postgres.PgServer:
        """A streaming replica of the primary as it is now, durable as the primary is."""
        (port,) = procs.free_ports(1)
        self.replica = postgres.init_replica(self.primary, self.root / "replica", port)
        self.servers.append(self.replica)
        restart(self.replica, DURABLE)
        return self.replica


def restart(server: postgres.PgServer, settings: dict[str, str]) -> None:
    """Run the server again with these settings over the rehearsal's."""
    server.settings = dict(settings)
    server.stop()
    server.start()


@contextlib.contextmanager
def topology() -> Iterator[Topology]:
    """A started primary under a new temporary folder; everything stopped and the folder
    removed when the block ends."""
    root = Path(tempfile.mkdtemp(prefix="microblog-replicas-"))
    root.chmod(0o755)  # the postgres account must reach its folders
    servers: list[postgres.PgServer] = []
    try:
        (port,) = procs.free_ports(1)
        primary = postgres.init_primary(root / "primary", port)
        servers.append(primary)
        yield Topology(root, primary, servers=servers)
    finally:
        for server in reversed(servers):
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _seed(url: str, profile: Profile, console: Console) -> float:
    """Migrate and fill the database as the benchmark does (``bench.dataset``); seconds."""
    started = time.perf_counter()
    migrate.upgrade(url)
    with RichReporter(console) as reporter:
        seeder.seed(url, profile.plan, "password123", reporter=reporter)
    bench_store.set_activity(url, profile.inactive_share)
    return time.perf_counter() - started


def run_replicas(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Measure, write ``replicas-<profile>.json`` and ``.md``; the results."""
    console = console or Console(stderr=True)
    load_before = os.getloadavg()
    with topology() as topo:
        results = _measure(options, topo, console)
    results["load_average"] = {"before": list(load_before), "after": list(os.getloadavg())}
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    replica_report.write(results, options.out_dir)
    return results


def _measure(options: Options, topo: Topology, console: Console) -> dict[str, Any]:
    def say(text: str) -> None:
        console.print(f"bench-replicas: {text}")

    profile, plan = options.profile, options.profile.plan
    say(f"primary on {topo.primary.port}; seeding {plan.users:,} users, {plan.posts:,} posts")
    postgres.create_database(topo.primary, DATABASE)
    seed_seconds = _seed(topo.url, profile, console)
    # Seeded without fsync (the rehearsal's setting: faster, and nothing is measured yet);
    # measured with it, the replica too.
    restart(topo.primary, DURABLE)
    started = time.perf_counter()
    replica = topo.add_replica()
    postgres.wait_replayed(topo.url, topo.replica_url, replica_lag.CATCH_UP_SECONDS)
    say(f"streaming replica on {replica.port}")
    copy_seconds = time.perf_counter() - started
    readers = bench_store.ids(topo.url, "bench_sample_readers", options.readers)
    accounts = bench_store.ids(topo.url, "bench_authors", options.accounts)
    rounds = options.fanout_rounds
    authors = bench_store.ids(topo.url, "bench_authors", rounds * replica_fanout.AUTHORS_PER_ROUND)
    base = Settings(
        database_url=topo.url,
        redis_url=options.redis_url,
        secret_key=secrets.token_urlsafe(24),
        feed_cache="off",
        db_pool_min=1,
        db_pool_max=POOL_MAX,
        replica_max_lag_seconds=REPLICA_MAX_LAG_SECONDS,
    )
    tokens = asyncio.run(measure.issue_tokens(base, readers))
    servers = replica_reads.Servers(topo.primary, replica, DATABASE)
    results: dict[str, Any] = {
        "name": options.name,
        "profile": profile.name,
        "machine": bench_run.machine(),
        "versions": bench_run.versions(topo.url, options.redis_url),
        "settings": _settings(options, base, len(readers), len(accounts)),
        "setup": {
            "seed_seconds": round(seed_seconds, 1),
            "replica_copy_seconds": round(copy_seconds, 1),
            "database_bytes": int(bench_store.scalar(topo.url, "bench_database_bytes")),
        },
        "reads": {},
    }
    for name in options.read_strategies:
        settings = base.replace(feed_strategy=name)
        build = 0.0
        if strategy_class(name).traits.state != "none":
            say(f"building {name}'s state")
            build = asyncio.run(measure.build_state(settings))
        figures: dict[str, Any] = {"build_seconds": round(build, 1)}
        figures |= replica_reads.read_figures(
            settings, servers, [tokens[r] for r in readers], accounts, options.seconds, say
        )
        results["reads"][name] = figures
    say(f"replica lag at {', '.join(map(str, options.rates))} posts/s")
    writer = base.replace(feed_strategy="pull")
    results["write_lag"] = replica_lag.write_lag(
        writer,
        topo.replica_url,
        authors[: replica_fanout.AUTHORS_PER_ROUND],
        options.rates,
        options.seconds,
    )
    results["fanout"] = {}
    for name in options.push_strategies:
        say(f"{name}: fan-out with its tables UNLOGGED, then LOGGED")
        results["fanout"][name] = replica_fanout.logged_and_unlogged(
            base.replace(feed_strategy=name),
            topo.replica_url,
            authors,
            options.backlog_posts,
            rounds,
        )
    return results


def _settings(options: Options, base: Settings, readers: int, accounts: int) -> dict[str, Any]:
    """Every setting the figures depend on, reported beside them."""
    plan = options.profile.plan
    return {
        "seconds": options.seconds,
        "connections": http.MIXED_CONNECTIONS,
        "threads": http.MIXED_THREADS,
        "mix_percent": MIX,
        "readers": readers,
        "accounts": accounts,
        "server_processes": replica_reads.SERVER_PROCESSES,
        "rounds": [f"{n} replica(s)" for n in replica_reads.ORDER],
        "warm_up_seconds": options.seconds,
        "pool_max_per_process": POOL_MAX,
        "feed_cache": base.feed_cache,
        "replica_max_lag_seconds": base.replica_max_lag_seconds,
        "rates": list(options.rates),
        "writers_in_flight": replica_lag.WRITERS,
        "poll_ms": replica_lag.POLL_SECONDS * 1000,
        "backlog_posts": options.backlog_posts,
        "fanout_rounds": options.fanout_rounds,
        "authors_per_round": replica_fanout.AUTHORS_PER_ROUND,
        "worker_concurrency": replica_fanout.WORKER_CONCURRENCY,
        "boost_after": measure.BOOST_AFTER,
        "feed_cap": base.feed_cap,
        "postgres": {**postgres.SERVER_SETTINGS, **DURABLE},
        "plan": {
            "users": plan.users,
            "posts": plan.posts,
            "follows_per_user": plan.follows_per_user,
            "shape": plan.shape,
            "seed": plan.seed,
            "inactive_share": options.profile.inactive_share,
        },
    }
