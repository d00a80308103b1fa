"""Read-your-writes marks in Redis: the larger position wins, marks expire, and Redis away
sends marked readers (and readers whose mark may be lost) to the primary."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from microblog.store.write_marks import PREFIX, Unknown, WriteMarks
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    redis_client = aioredis.Redis.from_url(TEST_REDIS_URL)
    async for key in redis_client.scan_iter(match=f"{PREFIX}:*"):
        await redis_client.unlink(key)
    yield redis_client
    await redis_client.aclose()


async def test_the_larger_position_wins_across_processes(client: aioredis.Redis) -> None:
    first, second = WriteMarks(client, 12), WriteMarks(client, 12)
    assert await first.get(7) == 0
    await first.put(7, 5_000)
    await second.put(7, 4_000)  # an older write, stored later by another process
    assert await second.get(7) == 5_000
    assert await WriteMarks(client, 12).get(7) == 5_000  # a third process sees it too
    await second.put(7, 2**40 + 1)  # positions past 32 bits compare as numbers
    assert await first.get(7) == 2**40 + 1
    assert 0 < await client.ttl(f"{PREFIX}:7") <= 12
    assert await first.get(8) == 0


async def test_redis_away_sends_readers_to_the_primary() -> None:
    away = aioredis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    marks = WriteMarks(away, 12)
    try:
        with pytest.raises(Unknown):
            await marks.get(1)  # a mark may exist in Redis: nobody can say
        await marks.put(2, 900)  # not stored: this process remembers it
        assert await marks.get(2) == 900
        with pytest.raises(Unknown):
            await marks.get(3)  # another process's mark may have been lost meanwhile
    finally:
        await away.aclose()
