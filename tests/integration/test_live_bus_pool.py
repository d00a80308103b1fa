"""With either live bus, as many concurrent writes as the pool has connections must
not starve it.

Found by the streaming benchmark (``microblog bench-stream``, bus ``postgres``, 100 posts/s):
``POST /api/v1/statuses`` answered 500 (``PoolTimeout: couldn't get a connection after
30.00 sec``) and live messages were lost: the write held its pooled connection while the
PostgreSQL bus borrowed a second one to publish. The bus now says its NOTIFY on the
write's own connection, inside its transaction (``Bus.publish_in``).
"""

from __future__ import annotations

import asyncio

import pytest

from microblog.runtime import open_runtime
from microblog.settings import Settings

POOL = 2


@pytest.mark.parametrize("bus", ["redis", "postgres"])
async def test_concurrent_writes_do_not_starve_the_pool(settings: Settings, bus: str) -> None:
    async with open_runtime(settings.replace(live_bus=bus), pool_max=POOL) as runtime:
        service = runtime.microblog
        author = await service.sign_up("ann", "correct horse battery")
        writes = [service.create_post(author.id, f"post {i}", None) for i in range(2 * POOL)]
        # Each takes milliseconds; deadlocked, they would wait for the pool's timeout.
        made = await asyncio.wait_for(asyncio.gather(*writes), timeout=10)
        assert len({p.id for p in made}) == 2 * POOL
