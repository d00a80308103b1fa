"""A stand-alone job worker (``microblog worker``) with its own pool, cache and engine."""

from __future__ import annotations

from microblog.app import make_redis
from microblog.feeds import make_engine
from microblog.jobs.queue import Jobs, make_queue
from microblog.jobs.tasks import worker_context
from microblog.settings import Settings
from microblog.store.db import make_pool


async def run_worker(settings: Settings, concurrency: int, wait: bool = True) -> None:
    """Process jobs until interrupted (or, with ``wait=False``, until the queue is empty)."""
    pool = make_pool(settings.database_url, 1, concurrency + 2)
    await pool.open()
    redis_client = make_redis(settings)
    queue = make_queue(settings)
    engine = make_engine(settings, pool, Jobs(queue), redis_client)
    try:
        async with queue.open_async():
            await queue.run_worker_async(
                concurrency=concurrency,
                wait=wait,
                install_signal_handlers=wait,
                additional_context=worker_context(engine),
                delete_jobs="successful",
            )
    finally:
        await engine.close()
        await redis_client.aclose()
        await pool.close()
