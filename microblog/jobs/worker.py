"""A stand-alone job worker (``microblog worker``) with its own pool, cache and engine."""

from __future__ import annotations

from microblog.runtime import open_runtime
from microblog.settings import Settings


async def run_worker(settings: Settings, concurrency: int) -> None:
    """Process jobs until interrupted."""
    async with open_runtime(settings, pool_max=concurrency + 2) as runtime:
        await runtime.run_worker(concurrency=concurrency, signals=True)
