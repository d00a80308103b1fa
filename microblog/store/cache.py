"""The Redis cache of hot first pages. Never the source of truth: every miss or outage falls
back to PostgreSQL, and every key expires.

Each reader has a generation counter; a cached page is stored under the generation read
before the page was computed, and invalidation increments the generation. A page computed
from data older than an invalidation is thus stored under a generation nobody reads again,
so a slow reader can never put a stale page back after the change.

Every read also records its reader in a sorted set by time. A page lives ``ttl`` seconds
after the read that stored it, so readers who read longer ago than that have no page left,
and a post's invalidation needs to reach only the followers in that set.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "mb:feed"
GENERATION_TTL_SECONDS = 24 * 3600
RETRY_AFTER_SECONDS = 1.0
EVERYONE = "all"

READERS_KEY = f"{PREFIX}:readers"
# Margin for a page computed slowly between its read and its store.
READERS_SLACK_SECONDS = 10

# One round trip: record the reader as recent (before reading the generation, so that an
# invalidation that misses the reader's record also precedes the page's computation), then
# the reader's generation and the page stored under it.
_GET = """
redis.call('ZADD', KEYS[3], redis.call('TIME')[1], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', KEYS[2] .. gen)}
"""

# The readers who read within the last ARGV[1] seconds; older records are dropped.
_RECENT = """
local since = tonumber(redis.call('TIME')[1]) - tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. since)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

# Invalidation of many readers in one command, done inside Redis: a post's followers are
# thousands of keys, and one command per key would cost as much as the fan-out itself.
# (Every key is a generation counter; a Redis Cluster would need them in one hash slot.)
_BUMP = """
for i = 1, #KEYS do
    redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return #KEYS
"""
# Keys per command: bounds the time Redis is busy with one script (a few milliseconds).
BUMP_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Hit:
    """A cache answer: the page ids (None on a miss) and the generation they belong to."""

    ids: list[int] | None
    generation: str | None


class FeedCache:
    """First pages per (reader, mode), ``depth`` ids each, with a TTL."""

    def __init__(self, client: aioredis.Redis, ttl_seconds: int, depth: int = 41) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.depth = depth
        self._get = client.register_script(_GET)
        self._bump = client.register_script(_BUMP)
        self._recent = client.register_script(_RECENT)
        self._down_until = 0.0
        self._missed_invalidation = False

    @staticmethod
    def _owner(reader_id: int | None) -> str:
        return EVERYONE if reader_id is None else str(reader_id)

    def _keys(self, reader_id: int | None, mode: str) -> tuple[str, str]:
        owner = self._owner(reader_id)
        return f"{PREFIX}:gen:{owner}", f"{PREFIX}:page:{owner}:{mode}:"

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def _failed(self, exc: Exception) -> None:
        if self._down_until == 0.0:
            log.warning("Redis unavailable (%s); serving feeds from PostgreSQL", exc)
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    async def _recovered(self) -> None:
        if self._down_until != 0.0:
            log.warning("Redis is back; feed cache in use again")
            self._down_until = 0.0
        if self._missed_invalidation:
            # Invalidations were lost while Redis was away: drop every cached page.
            self._missed_invalidation = False
            await self.clear()

    async def get(self, reader_id: int | None, mode: str) -> Hit:
        """The cached page, or a miss with the generation to store the page under."""
        if not self._available():
            return Hit(None, None)
        gen_key, page_prefix = self._keys(reader_id, mode)
        try:
            gen, raw = await self._get(
                keys=[gen_key, page_prefix, READERS_KEY],
                args=[self._owner(reader_id), self.ttl + READERS_SLACK_SECONDS],
            )
            await self._recovered()
        except (RedisError, OSError) as exc:
            await self._failed(exc)
            return Hit(None, None)
        generation = gen.decode() if isinstance(gen, bytes) else str(gen)
        if raw is None:
            return Hit(None, generation)
        return Hit([int(i) for i in json.loads(raw)], generation)

    async def put(
        self, reader_id: int | None, mode: str, generation: str | None, ids: list[int]
    ) -> None:
        """Store a page computed after reading ``generation`` (no-op without one)."""
        if generation is None or not self._available():
            return
        _, page_prefix = self._keys(reader_id, mode)
        try:
            await self.client.set(page_prefix + generation, json.dumps(ids), ex=self.ttl)
        except (RedisError, OSError) as exc:
            await self._failed(exc)

    async def recent_readers(self) -> list[int] | None:
        """Readers who may have a cached page (None when Redis does not answer)."""
        try:
            members = await self._recent(
                keys=[READERS_KEY], args=[self.ttl + READERS_SLACK_SECONDS]
            )
            await self._recovered()
        except (RedisError, OSError) as exc:
            self._missed_invalidation = True
            await self._failed(exc)
            return None
        owners = (m.decode() if isinstance(m, bytes) else str(m) for m in members)
        return [int(owner) for owner in owners if owner != EVERYONE]

    async def invalidate(self, reader_ids: Iterable[int], everyone: bool = False) -> None:
        """Make the readers' cached pages (and the ``all`` page) unreachable."""
        owners = [self._owner(r) for r in reader_ids]
        if everyone:
            owners.append(EVERYONE)
        if not owners:
            return
        keys = [f"{PREFIX}:gen:{owner}" for owner in owners]
        try:
            for start in range(0, len(keys), BUMP_BATCH):
                await self._bump(
                    keys=keys[start : start + BUMP_BATCH], args=[GENERATION_TTL_SECONDS]
                )
            await self._recovered()
        except (RedisError, OSError) as exc:
            self._missed_invalidation = True
            await self._failed(exc)

    async def forget_readers(self, gone: Collection[int], audience: Collection[int]) -> None:
        """Accounts were deleted: every key of theirs goes (generation, pages, their mark
        among the recent readers), and so do the pages that may show their posts: those of
        ``audience`` (their followers) who read lately, and All's. Those pages are
        invalidated first, then deleted, with the older generations still alive: a cached
        page never keeps the post ids of a deleted account until it expires."""
        recent = await self.recent_readers()
        if recent is None:
            return  # Redis is away: every cached page is dropped when it answers again
        shown = sorted(set(audience) & set(recent))
        await self.invalidate(shown, everyone=True)
        owners = {self._owner(r) for r in [*gone, *shown]} | {EVERYONE}
        try:
            pages = self.client.scan_iter(match=f"{PREFIX}:page:*", count=1000)
            async for keys in _batches(pages):
                doomed = [key for key in keys if _page_owner(key) in owners]
                if doomed:
                    await self.client.unlink(*doomed)
            if gone:
                await self.client.unlink(*(f"{PREFIX}:gen:{self._owner(g)}" for g in gone))
                await self.client.zrem(READERS_KEY, *(self._owner(g) for g in gone))
        except (RedisError, OSError) as exc:
            self._missed_invalidation = True
            await self._failed(exc)

    async def clear(self) -> None:
        """Delete every key of the feed cache."""
        async for keys in _batches(self.client.scan_iter(match=f"{PREFIX}:*", count=1000)):
            await self.client.unlink(*keys)

    async def memory_bytes(self) -> int:
        """Bytes Redis uses for the feed cache's keys (sampled with MEMORY USAGE)."""
        total = 0
        async for key in self.client.scan_iter(match=f"{PREFIX}:*", count=1000):
            total += int(await self.client.memory_usage(key) or 0)
        return total


def _page_owner(key: bytes | str) -> str:
    """The owner part of a page key (``mb:feed:page:<owner>:<mode>:<generation>``)."""
    text = key.decode() if isinstance(key, bytes) else key
    return text.removeprefix(f"{PREFIX}:page:").split(":", 1)[0]


async def _batches(keys: object, size: int = 500):  # type: ignore[no-untyped-def]
    batch: list[bytes] = []
    async for key in keys:  # type: ignore[attr-defined]
        batch.append(key)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
