"""What the soak watches while its load runs, every few seconds: the memory of each process
(RSS from ``/proc``), the open PostgreSQL connections and the job worker's backlog.

The processes: the server (its supervisor and every process under it), the separate job
worker, the database's backends (RSS, which counts the shared buffers a backend has touched,
and private memory, which does not), and Redis (the whole server: other databases of the
same Redis count too).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis.asyncio as aioredis
from psycopg.rows import dict_row

from microblog.bench import soak_store
from microblog.store.db import Conn

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
SERVER = "server (all processes)"
WORKER = "job worker"
BACKENDS = "PostgreSQL backends (RSS)"
BACKENDS_PRIVATE = "PostgreSQL backends (private)"
REDIS = "Redis"


@dataclass(frozen=True)
class Memory:
    """A process's resident memory in bytes: all of it, and its private anonymous part."""

    rss: int
    private: int


def memory(pid: int) -> Memory | None:
    """The process's memory from ``/proc/<pid>/status`` (None once it has gone)."""
    values: dict[str, int] = {}
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            values[key] = int(rest.split()[0]) * 1024
    if "VmRSS" not in values:
        return None  # a zombie, or a kernel thread
    return Memory(values["VmRSS"], values.get("RssAnon", values["VmRSS"]))


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state is the first)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time the process has used."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICKS


def family(pid: int) -> list[int]:
    """The process and every process under it: the parent first, then by pid."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return [pid, *sorted(found[1:])]


def _server_labels(pids: list[int]) -> list[str]:
    """The supervisor, its worker processes (numbered) and multiprocessing's helper."""
    labels = ["server supervisor"]
    for pid in pids[1:]:
        try:
            command = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            command = b""
        if b"resource_tracker" in command:
            labels.append("server helper (resource tracker)")
        else:
            labels.append(f"server process {sum(1 for x in labels if 'process' in x) + 1}")
    return labels


@dataclass(frozen=True)
class Sample:
    """One look: seconds since the load started, bytes per process or group, connections
    to the database by state, the worker's backlog, and the machine's load average (over
    one minute: processes running or waiting for a core, everyone's)."""

    at: float
    rss: dict[str, int]
    connections: dict[str, int]
    jobs: int
    outbox: int
    server_pids: tuple[int, ...]
    load: float = 0.0


@dataclass
class Watcher:
    """Samples the processes and the database until stopped."""

    server_pid: int
    worker_pid: int
    database_url: str
    redis_url: str
    every: float
    started: float
    samples: list[Sample] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        """A sample now, every ``every`` seconds, and one more when ``stop`` is set."""
        client = aioredis.Redis.from_url(self.redis_url)
        try:
            redis_pid = int((await client.info("server"))["process_id"])
            async with await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, row_factory=dict_row
            ) as conn:
                while True:
                    self.samples.append(await self._sample(conn, client, redis_pid))
                    if stop.is_set():
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.every)
        finally:
            await client.aclose()

    async def _sample(self, conn: Conn, client: aioredis.Redis, redis: int) -> Sample:
        rss: dict[str, int] = {}
        server = family(self.server_pid)
        total = 0
        for label, pid in zip(_server_labels(server), server, strict=True):
            found = memory(pid)
            if found is not None:
                rss[label] = found.rss
                total += found.rss
        rss[SERVER] = total
        worker = memory(self.worker_pid)
        if worker is not None:
            rss[WORKER] = worker.rss
        connections: dict[str, int] = {}
        pg_rss = pg_private = 0
        for pid, kind, state in await soak_store.backends(conn):
            if kind == "client backend":
                connections[state or "unknown"] = connections.get(state or "unknown", 0) + 1
                found = memory(pid)
                if found is not None:
                    pg_rss += found.rss
                    pg_private += found.private
        rss[BACKENDS] = pg_rss
        rss[BACKENDS_PRIVATE] = pg_private
        own = memory(redis)
        if own is not None:
            rss[REDIS] = own.rss
        else:  # Redis on another host (or another namespace): its own figure of the same
            rss[REDIS] = int((await client.info("memory"))["used_memory_rss"])
        jobs, outbox = await soak_store.backlog(conn)
        return Sample(
            at=round(time.perf_counter() - self.started, 3),
            rss=rss,
            connections=connections,
            jobs=jobs,
            outbox=outbox,
            server_pids=tuple(server),
            load=os.getloadavg()[0],
        )
