"""Where a read goes: a streaming replica, unless the reader's own last write is not there
yet; the primary otherwise, and always for writes.

A monitor checks every replica twice a second: how far it has replayed the primary's WAL,
and so how far behind it is. A replica that does not answer, or lags past the configured
limit, is skipped (said once in the log) until it answers and has caught up again. A reader
who wrote lately (``WriteMarks``) is served by a replica only once it has replayed past the
primary's WAL position after that write, so nobody sees their own post vanish or a follow
undo itself. A read that fails on a replica (it went away mid-query) runs again on the
primary.

Lag is measured against the primary's own WAL position sampled by the same monitor: a
replica is ``lag`` seconds behind when the primary had already written past its replay
position that long ago. An idle primary thus shows no lag, and a replica cut off from its
primary shows a growing one as soon as the primary writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from microblog.domain.context import ACTOR, PRIMARY_ONLY
from microblog.domain.types import Conn
from microblog.store.db import one
from microblog.store.queries import load
from microblog.store.write_marks import Unknown, WriteMarks

log = logging.getLogger(__name__)
SQL = load("replicas")
T = TypeVar("T")

CHECK_SECONDS = 0.5
CHECK_TIMEOUT_SECONDS = 1.0
UNCHECKED = "is not checked yet"
# How long a read waits for a replica's connection before it goes to the primary.
CONNECT_WAIT_SECONDS = 0.5


@dataclass
class Replica:
    """One replica, as the monitor last saw it."""

    name: str
    pool: AsyncConnectionPool[Conn]
    replay_lsn: int = 0
    lag_seconds: float = float("inf")
    usable: bool = False
    problem: str = UNCHECKED


@dataclass
class LagClock:
    """The primary's WAL position over the last minutes, to tell a replica's lag in seconds."""

    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=1000))

    def add(self, now: float, lsn: int) -> None:
        self.samples.append((now, lsn))

    def lag(self, now: float, replayed: int) -> float:
        """Seconds since the primary was last at or before ``replayed`` (0: caught up with
        the newest sample; behind every sample: at least since the oldest one, so a monitor
        that has just started does not take a healthy replica for a lagging one)."""
        newest_at_or_before = None
        for at, lsn in reversed(self.samples):
            if lsn <= replayed:
                newest_at_or_before = at
                break
        if newest_at_or_before is None:
            return now - self.samples[0][0] if self.samples else float("inf")
        if self.samples and self.samples[-1][1] <= replayed:
            return 0.0
        return now - newest_at_or_before


def describe(url: str) -> str:
    """A replica's name for the log: host, port and database, never a password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


class Reads:
    """The primary's pool, the replicas' pools and the rule between them."""

    def __init__(
        self,
        primary: AsyncConnectionPool[Conn],
        replicas: Sequence[tuple[str, AsyncConnectionPool[Conn]]],
        marks: WriteMarks | None,
        max_lag_seconds: float,
    ) -> None:
        self.primary = primary
        self.replicas = [Replica(name, pool) for name, pool in replicas]
        self.marks = marks
        self.max_lag = max_lag_seconds
        self.clock = LagClock()
        self._turn = itertools.count()
        self._monitor: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """Whether there are replicas at all (else every read is the primary's)."""
        return bool(self.replicas)

    async def open(self) -> None:
        """Open the replicas' pools (without waiting for them) and start the monitor."""
        if not self.replicas:
            return
        for replica in self.replicas:
            await replica.pool.open(wait=False)
        await self.check()
        self._monitor = asyncio.create_task(self._watch(), name="replica-monitor")

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        for replica in self.replicas:
            await replica.pool.close()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                await self.check()
            except Exception:  # the monitor must outlive any one bad pass
                log.exception("replica check failed")

    async def check(self) -> None:
        """One pass of the monitor: the primary's position, then every replica's."""
        try:
            async with self.primary.connection(timeout=CHECK_TIMEOUT_SECONDS) as conn:
                written = await _lsn(conn, "primary_lsn")
                assert written is not None
                self.clock.add(time.monotonic(), written)
        except (psycopg.Error, PoolTimeout, OSError) as exc:
            log.warning("primary unavailable for the replica check: %s", exc)
            return
        await asyncio.gather(*(self._check_one(r) for r in self.replicas))

    async def _check_one(self, replica: Replica) -> None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                async with replica.pool.connection(timeout=CHECK_TIMEOUT_SECONDS) as conn:
                    replayed = await _lsn(conn, "replica_lsn")
        except (psycopg.Error, PoolTimeout, OSError, TimeoutError) as exc:
            self._set(replica, f"does not answer ({type(exc).__name__}: {exc})".strip())
            return
        if replayed is None:
            self._set(replica, "is not a replica (not in recovery)")
            return
        replica.replay_lsn = replayed
        replica.lag_seconds = self.clock.lag(time.monotonic(), replayed)
        if replica.lag_seconds > self.max_lag:
            self._set(replica, f"lags more than {self.max_lag:g} s")
            return
        self._set(replica, "")

    def _set(self, replica: Replica, problem: str) -> None:
        """Record a replica's state; say so in the log when it changes (once, not per check)."""
        usable = not problem
        if replica.problem == UNCHECKED and usable:
            log.info("replica %s serves reads", replica.name)
        elif usable != replica.usable or (problem and problem.split()[0] != _head(replica)):
            if usable:
                log.warning("replica %s is back: reads use it again", replica.name)
            else:
                log.warning("replica %s %s: skipped until it catches up", replica.name, problem)
        replica.usable = usable
        replica.problem = problem

    async def choose(self, reader_id: int | None) -> Replica | None:
        """The replica to serve this reader, or None for the primary."""
        if not self.replicas:
            return None
        needed = 0
        if reader_id is not None and self.marks is not None:
            try:
                needed = await self.marks.get(reader_id)
            except Unknown:
                return None
        candidates = [r for r in self.replicas if r.usable and r.replay_lsn >= needed]
        if not candidates:
            return None
        return candidates[next(self._turn) % len(candidates)]

    async def run(
        self,
        reader_id: int | None,
        work: Callable[[Conn], Awaitable[T]],
        replica_ok: bool = True,
    ) -> T:
        """``work`` on a connection of a replica that may serve the reader (when
        ``replica_ok``), else of the primary. On a replica that fails under it, it runs again
        on the primary. ``reader_id`` None: the request's caller (``ACTOR``), if any."""

        async def placed(conn: Conn, on_replica: bool) -> T:
            return await work(conn)

        return await self.run_placed(reader_id, placed, replica_ok)

    async def run_placed(
        self,
        reader_id: int | None,
        work: Callable[[Conn, bool], Awaitable[T]],
        replica_ok: bool = True,
    ) -> T:
        """As ``run``, for work that must know whether it runs on a replica."""
        replica = None
        if replica_ok and not PRIMARY_ONLY.get():
            replica = await self.choose(ACTOR.get() if reader_id is None else reader_id)
        if replica is not None:
            try:
                async with replica.pool.connection(timeout=CONNECT_WAIT_SECONDS) as conn:
                    return await work(conn, True)
            except (psycopg.OperationalError, PoolTimeout) as exc:
                self._set(replica, f"failed a read ({type(exc).__name__}: {exc})")
        async with self.primary.connection() as conn:
            return await work(conn, False)

    @contextlib.asynccontextmanager
    async def on_primary(self) -> AsyncIterator[Conn]:
        """A connection of the primary."""
        async with self.primary.connection() as conn:
            yield conn

    async def wrote(self, user_id: int) -> None:
        """Mark that the user has just written: their reads wait for a replica to catch up
        with the primary's WAL as it is now (after their write's commit)."""
        if not self.replicas or self.marks is None:
            return
        async with self.primary.connection() as conn:
            lsn = await _lsn(conn, "primary_lsn")
        assert lsn is not None
        await self.marks.put(user_id, lsn)


def _head(replica: Replica) -> str:
    return replica.problem.split()[0] if replica.problem else ""


async def _lsn(conn: Conn, query: str) -> int | None:
    row = await one(conn, SQL[query], {})
    return None if row is None or row["lsn"] is None else int(row["lsn"])
