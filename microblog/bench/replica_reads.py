"""The read figure of ``bench-replicas``: wrk with ``reads.lua`` against a real ``microblog
serve`` reading on the primary alone, then with a streaming replica.

On a shared 2-core machine one run says little: the two configurations run twice, in the
order 0, 1, 1, 0 replicas (a drift of the machine's other load then weighs on both alike),
and each is reported as the mean of its rounds, both rounds kept beside it. Every round
warms up as long as it measures: the replica starts with cold buffers, the primary does
not (it was just seeded and built).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from microblog.bench import http, measure, replica_cpu, wrk
from microblog.bench.replica_store import xacts
from microblog.bench.server import started
from microblog.cluster import postgres
from microblog.settings import Settings

ORDER = (0, 1, 1, 0)  # replicas per round
SERVER_PROCESSES = 2


@dataclass(frozen=True)
class Servers:
    """The PostgreSQL servers whose transactions and CPU are counted, and the database."""

    primary: postgres.PgServer
    replica: postgres.PgServer
    database: str


def one_round(
    settings: Settings, servers: Servers, tokens: list[str], accounts: list[int], seconds: float
) -> dict[str, Any]:
    """One round: the server's figures under wrk, the CPU time each process took during the
    load, and the transactions each PostgreSQL server committed while the server ran (its
    start, the warm-up, the load and its stop)."""
    assert servers.primary.proc is not None and servers.replica.proc is not None
    urls = {"primary": servers.primary.url(), "replica": servers.replica.url()}
    before = {name: xacts(url, servers.database) for name, url in urls.items()}
    env = {"MB_TOKENS": ",".join(tokens), "MB_ACCOUNTS": ",".join(map(str, accounts))}
    connections, threads = http.MIXED_CONNECTIONS, http.MIXED_THREADS
    with started(settings, SERVER_PROCESSES) as server:
        target = f"{server.url}/api/v1/timelines/home"
        wrk.run(target, "reads.lua", seconds, connections, threads, env)  # warm up
        pids = {
            "primary": servers.primary.proc.pid,
            "replica": servers.replica.proc.pid,
            "server": server.process.pid,
        }
        cpu = {name: -replica_cpu.tree_seconds(pid) for name, pid in pids.items()}
        cpu["wrk"] = -replica_cpu.children_seconds()
        begun = time.perf_counter()
        result = wrk.run(target, "reads.lua", seconds, connections, threads, env)
        wall = time.perf_counter() - begun
        cpu["wrk"] += replica_cpu.children_seconds()
        for name, pid in pids.items():
            cpu[name] += replica_cpu.tree_seconds(pid)
    # The server has stopped: its backends have exited and reported their counts.
    time.sleep(measure.STATS_SETTLE_SECONDS)
    done = {name: xacts(url, servers.database) - before[name] for name, url in urls.items()}
    return {
        "rps": result.rps,
        "p50_ms": result.p50,
        "p99_ms": result.p99,
        "max_ms": result.max,
        "errors": result.errors,
        "xacts": done,
        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
        "wall_seconds": round(wall, 2),
    }


def combined(replicas: int, rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A configuration's figures over its rounds: means of the rates and latencies, the
    largest max, sums of errors, transactions and CPU."""

    def mean(key: str) -> float:
        return round(sum(float(r[key]) for r in rounds) / len(rounds), 3)

    done = {name: sum(r["xacts"][name] for r in rounds) for name in ("primary", "replica")}
    total = sum(done.values())
    return {
        "replicas": replicas,
        "rps": mean("rps"),
        "p50_ms": mean("p50_ms"),
        "p99_ms": mean("p99_ms"),
        "max_ms": max(r["max_ms"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "xacts": done,
        "replica_share": round(done["replica"] / total, 3) if total else None,
        "cpu_seconds": {
            name: round(sum(r["cpu_seconds"][name] for r in rounds), 2)
            for name in rounds[0]["cpu_seconds"]
        },
        "wall_seconds": round(sum(r["wall_seconds"] for r in rounds), 2),
        "rounds": list(rounds),
    }


def read_figures(
    settings: Settings,
    servers: Servers,
    tokens: list[str],
    accounts: list[int],
    seconds: float,
    say: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{"0": …, "1": …}``: the configurations with no replica and with one."""
    replica_url = servers.replica.url(servers.database)
    rounds: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for replicas in ORDER:
        postgres.wait_replayed(servers.primary.url(servers.database), replica_url, 300)
        if say is not None:
            say(f"reads, {settings.feed_strategy}, {replicas} replica(s), {seconds:g} s")
        placed = settings.replace(database_replica_urls=replica_url if replicas else "")
        rounds[replicas].append(one_round(placed, servers, tokens, accounts, seconds))
    return {str(n): combined(n, found) for n, found in rounds.items()}
