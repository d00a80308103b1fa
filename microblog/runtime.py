"""Everything a running microblog holds: pool, Redis client, job queue, feed engine, service.

The web app, ``microblog worker``, ``microblog feeds …``, the benchmark and the tests all
open it the same way. It sits above every package it wires together.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import procrastinate
from psycopg_pool import AsyncConnectionPool

from microblog import credentials
from microblog.credentials import Credentials
from microblog.domain.types import Conn
from microblog.feeds import FeedEngine, make_engine
from microblog.jobs.queue import STALLED_HEARTBEATS, QueueJobs, make_queue, run_workers
from microblog.jobs.tasks import worker_context
from microblog.live import LiveHub
from microblog.passwords import BoundedHashing
from microblog.service import Microblog
from microblog.settings import Settings
from microblog.store.bus import CHANNEL, Bus, PostgresBus, RedisBus
from microblog.store.db import make_pool
from microblog.store.redis_client import RedisClient, make_client
from microblog.store.replicas import Reads, describe
from microblog.store.write_marks import WriteMarks


def make_redis(settings: Settings) -> RedisClient:
    """A Redis client that gives up fast: the cache is optional, PostgreSQL answers anyway.
    A Redis Cluster's client when ``MICROBLOG_REDIS_CLUSTER`` (the URL names any node)."""
    return make_client(settings.redis_url, settings.redis_cluster)


def make_bus(settings: Settings, redis_client: RedisClient, channel: str = CHANNEL) -> Bus:
    """The live bus the settings name (``MICROBLOG_LIVE_BUS``), on ``channel``."""
    if settings.live_bus == "postgres":
        return PostgresBus(settings.direct_url, channel)  # LISTEN needs a session: no pooler
    # Redis channels are server-wide (not per database): the channel names the database,
    # so two deployments (or two test runs) sharing a Redis never hear each other.
    database = urlsplit(settings.database_url).path.strip("/") or "microblog"
    return RedisBus(redis_client, settings.redis_url, f"{channel}:{database}")


@dataclass
class Runtime:
    """The open resources and the service over them."""

    settings: Settings
    pool: AsyncConnectionPool[Conn]
    redis: RedisClient
    queue: procrastinate.App
    engine: FeedEngine
    microblog: Microblog
    live: LiveHub

    async def run_worker(
        self,
        concurrency: int = 1,
        wait: bool = True,
        delete_jobs: str = "successful",
        signals: bool = False,
        queues: Sequence[str] | None = None,
    ) -> None:
        """Process jobs of the queues (all for None) until cancelled, or with ``wait=False``
        until none is left; ``concurrency`` per group of queues (``run_workers``)."""
        heartbeat = self.settings.worker_heartbeat_seconds
        await run_workers(
            self.queue,
            worker_context(self.engine, heartbeat * STALLED_HEARTBEATS),
            queues,
            concurrency=concurrency,
            wait=wait,
            delete_jobs=delete_jobs,
            signals=signals,
            heartbeat_seconds=heartbeat,
        )

    async def drain(self) -> None:
        """Run queued jobs until none is left."""
        await self.run_worker(wait=False)


@contextlib.asynccontextmanager
async def open_runtime(
    settings: Settings, pool_max: int | None = None, strategy: str | None = None
) -> AsyncIterator[Runtime]:
    """Open the pool, Redis client, queue and engine (serving ``strategy`` instead of the
    configured one, when given); close them all afterwards."""
    queue = make_queue(settings)
    size = pool_max or settings.db_pool_max
    pool = make_pool(settings.database_url, settings.db_pool_min, size, settings.pgbouncer)
    await pool.open()
    redis_client = make_redis(settings)
    reads = make_reads(settings, pool, redis_client, size)
    bus = make_bus(settings, redis_client)
    engine = make_engine(settings, pool, QueueJobs(queue), redis_client, strategy, bus)
    hub: LiveHub | None = None
    remembered = Credentials(
        make_bus(settings, redis_client, credentials.CHANNEL), settings.credentials_cache_seconds
    )
    try:
        await reads.open()
        async with queue.open_async():
            hashing = BoundedHashing(
                settings.password_hash_concurrency, settings.password_hash_wait_ms / 1000
            )
            microblog = Microblog(pool, engine, hashing, reads, remembered)
            hub = LiveHub(bus, pool, microblog)
            yield Runtime(settings, pool, redis_client, queue, engine, microblog, hub)
    finally:
        if hub is not None:
            await hub.close()
        await remembered.close()
        await reads.close()
        await redis_client.aclose()
        await pool.close()


def make_reads(
    settings: Settings, pool: AsyncConnectionPool[Conn], redis_client: RedisClient, size: int
) -> Reads:
    """The read router over the primary's pool and a pool per configured replica; marks of
    writers in Redis for as long as a serving replica may lag (and the monitor's margin)."""
    replicas = [
        (describe(url), make_pool(url, 1, size, settings.pgbouncer))
        for url in settings.replica_urls
    ]
    marks = WriteMarks(redis_client, settings.replica_max_lag_seconds + 2) if replicas else None
    return Reads(pool, replicas, marks, settings.replica_max_lag_seconds)
