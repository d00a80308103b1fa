"""Everything a running microblog holds: pool, Redis client, job queue, feed engine, service.

The web app, ``microblog worker``, ``microblog feeds …``, the benchmark and the tests all
open it the same way. It sits above every package it wires together.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import procrastinate
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn
from microblog.feeds import FeedEngine, make_engine
from microblog.jobs.queue import QueueJobs, make_queue
from microblog.jobs.tasks import worker_context
from microblog.passwords import BoundedHashing
from microblog.service import Microblog
from microblog.settings import Settings
from microblog.store.db import make_pool


def make_redis(settings: Settings) -> aioredis.Redis:
    """A Redis client that gives up fast: the cache is optional, PostgreSQL answers anyway."""
    return aioredis.Redis.from_url(
        settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25
    )


@dataclass
class Runtime:
    """The open resources and the service over them."""

    settings: Settings
    pool: AsyncConnectionPool[Conn]
    redis: aioredis.Redis
    queue: procrastinate.App
    engine: FeedEngine
    microblog: Microblog

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
    engine = make_engine(settings, pool, QueueJobs(queue), redis_client, strategy)
    try:
        async with queue.open_async():
            hashing = BoundedHashing(
                settings.password_hash_concurrency, settings.password_hash_wait_ms / 1000
            )
            microblog = Microblog(pool, engine, hashing)
            yield Runtime(settings, pool, redis_client, queue, engine, microblog)
    finally:
        await redis_client.aclose()
        await pool.close()
