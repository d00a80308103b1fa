"""Everything a running microblog holds: pool, Redis client, job queue, feed engine, service.

The web app, ``microblog worker``, ``microblog feeds …``, the benchmark and the tests all
open it the same way. It sits above every package it wires together.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import procrastinate
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn
from microblog.feeds import FeedEngine, make_engine
from microblog.jobs.queue import QueueJobs, make_queue
from microblog.jobs.tasks import worker_context
from microblog.live import LiveHub
from microblog.passwords import BoundedHashing
from microblog.service import Microblog
from microblog.settings import Settings
from microblog.store.bus import CHANNEL, Bus, PostgresBus, RedisBus
from microblog.store.db import make_pool


def make_redis(settings: Settings) -> aioredis.Redis:
    """A Redis client that gives up fast: the cache is optional, PostgreSQL answers anyway."""
    return aioredis.Redis.from_url(
        settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25
    )


def make_bus(settings: Settings, redis_client: aioredis.Redis) -> Bus:
    """The live bus the settings name (``MICROBLOG_LIVE_BUS``)."""
    if settings.live_bus == "postgres":
        return PostgresBus(settings.database_url)
    # Redis channels are server-wide (not per database): the channel names the database,
    # so two deployments (or two test runs) sharing a Redis never hear each other.
    database = urlsplit(settings.database_url).path.strip("/") or "microblog"
    return RedisBus(redis_client, settings.redis_url, f"{CHANNEL}:{database}")


@dataclass
class Runtime:
    """The open resources and the service over them."""

    settings: Settings
    pool: AsyncConnectionPool[Conn]
    redis: aioredis.Redis
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
    ) -> None:
        """Process jobs (until cancelled, or with ``wait=False`` until none is left)."""
        await self.queue.run_worker_async(
            concurrency=concurrency,
            wait=wait,
            install_signal_handlers=signals,
            additional_context=worker_context(self.engine),
            delete_jobs=delete_jobs,
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
    pool = make_pool(settings.database_url, settings.db_pool_min, pool_max or settings.db_pool_max)
    await pool.open()
    redis_client = make_redis(settings)
    bus = make_bus(settings, redis_client)
    engine = make_engine(settings, pool, QueueJobs(queue), redis_client, strategy, bus)
    hub: LiveHub | None = None
    try:
        async with queue.open_async():
            hashing = BoundedHashing(
                settings.password_hash_concurrency, settings.password_hash_wait_ms / 1000
            )
            microblog = Microblog(pool, engine, hashing)
            hub = LiveHub(bus, pool, microblog)
            yield Runtime(settings, pool, redis_client, queue, engine, microblog, hub)
    finally:
        if hub is not None:
            await hub.close()
        await redis_client.aclose()
        await pool.close()
