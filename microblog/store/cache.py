"""The Redis cache of hot first pages. Never the source of truth: every miss or outage falls
back to PostgreSQL, and every key expires.

Each reader has a generation counter; a cached page is stored under the generation read
before the page was computed, and invalidation increments the generation. A page computed
from data older than an invalidation is thus stored under a generation nobody reads again,
so a slow reader can never put a stale page back after the change.

Every read also records its reader in a sorted set by time. A page lives ``ttl`` seconds
after the read that stored it, so readers who read longer ago than that have no page left,
and a post's invalidation needs to reach only the followers in that set.

Keys, on one server or a Redis Cluster alike: readers are spread over ``BUCKETS`` buckets
(``reader_id % BUCKETS``; All's page in bucket 0), and every key of a bucket carries its
hash tag ``{feed<bucket>}``, so a reader's generation, pages and the bucket's set of recent
readers share one cluster slot and the read's script touches them in one step:

    mb:feed:gen:<reader>:{feed<b>}                     the reader's generation
    mb:feed:page:<reader>:<mode>:{feed<b>}:<gen>       a first page (ids as JSON)
    mb:feed:readers:{feed<b>}                          the bucket's recent readers

One server takes the recent readers of every bucket, and invalidates any readers, in one
script; a cluster runs the scripts bucket by bucket, at once. On a cluster, a failover may
lose the newest writes of the master that died (replication is asynchronous), so a change
of masters drops every cached page, as a lost invalidation does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster

from microblog.store.redis_client import RedisClient, failures, is_cluster

log = logging.getLogger(__name__)

PREFIX = "mb:feed"
GENERATION_TTL_SECONDS = 24 * 3600
RETRY_AFTER_SECONDS = 1.0
EVERYONE = "all"
# Buckets of readers, each in one cluster slot: enough to spread the cache over the masters
# of a cluster, few enough that a post's invalidation costs a few scripts.
BUCKETS = 16

# Margin for a page computed slowly between its read and its store.
READERS_SLACK_SECONDS = 10

# One round trip: record the reader as recent (before reading the generation, so that an
# invalidation that misses the reader's record also precedes the page's computation), then
# the reader's generation and the page stored under it (its key is the page prefix and the
# generation: in the slot of the others, by their common hash tag).
_GET = """
redis.call('ZADD', KEYS[3], redis.call('TIME')[1], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', KEYS[2] .. gen)}
"""

# The readers (of every set in KEYS) who read within the last ARGV[1] seconds; older
# records are dropped.
_RECENT = """
local since = tonumber(redis.call('TIME')[1]) - tonumber(ARGV[1])
local found = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. since)
    for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
        found[#found + 1] = member
    end
end
return found
"""

# Invalidation of many readers in one command, done inside Redis: a post's followers are
# thousands of keys, and one command per key would cost as much as the fan-out itself.
# (On a cluster, the keys of one command are those of one bucket: one slot.)
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


def bucket(reader_id: int | None) -> int:
    """The bucket of a reader (All's page: bucket 0)."""
    return 0 if reader_id is None else reader_id % BUCKETS


def _tag(number: int) -> str:
    return f"{{feed{number}}}"


def readers_key(number: int) -> str:
    """The sorted set of a bucket's recent readers."""
    return f"{PREFIX}:readers:{_tag(number)}"


def _owner(reader_id: int | None) -> str:
    return EVERYONE if reader_id is None else str(reader_id)


def gen_key(reader_id: int | None) -> str:
    """The key of a reader's generation."""
    return f"{PREFIX}:gen:{_owner(reader_id)}:{_tag(bucket(reader_id))}"


def page_prefix(reader_id: int | None, mode: str) -> str:
    """The keys of a reader's pages in ``mode``, without their generation."""
    return f"{PREFIX}:page:{_owner(reader_id)}:{mode}:{_tag(bucket(reader_id))}:"


class FeedCache:
    """First pages per (reader, mode), ``depth`` ids each, with a TTL."""

    def __init__(self, client: RedisClient, ttl_seconds: int, depth: int = 41) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.depth = depth
        self.cluster = is_cluster(client)
        self.errors = failures(client)  # any of them: PostgreSQL answers instead
        self._get = client.register_script(_GET)
        self._bump = client.register_script(_BUMP)
        self._recent = client.register_script(_RECENT)
        self._down_until = 0.0
        self._missed_invalidation = False
        self._masters: frozenset[str] | None = None

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def _failed(self, exc: Exception) -> None:
        if self._down_until == 0.0:
            log.warning("Redis unavailable (%s); serving feeds from PostgreSQL", exc)
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    async def _recovered(self) -> bool:
        """Redis answered: back in use. Whether every cached page was just dropped (the
        answer may belong to what was dropped)."""
        if self._down_until != 0.0:
            log.warning("Redis is back; feed cache in use again")
            self._down_until = 0.0
        if self._masters_changed():
            log.warning("Redis Cluster masters changed (a failover?); dropping cached pages")
            self._missed_invalidation = True
        if not self._missed_invalidation:
            return False
        # Invalidations were lost while Redis was away: drop every cached page.
        await self.clear()
        self._missed_invalidation = False
        return True

    def _masters_changed(self) -> bool:
        """Whether the cluster's masters are others than when last seen: a master that
        died may have taken its newest writes with it, invalidations among them."""
        if not isinstance(self.client, RedisCluster):
            return False
        masters = frozenset(node.name for node in self.client.get_primaries())
        seen, self._masters = self._masters, masters
        return seen is not None and seen != masters

    async def get(self, reader_id: int | None, mode: str) -> Hit:
        """The cached page, or a miss with the generation to store the page under."""
        if not self._available():
            return Hit(None, None)
        try:
            gen, raw = await self._get(
                keys=[
                    gen_key(reader_id),
                    page_prefix(reader_id, mode),
                    readers_key(bucket(reader_id)),
                ],
                args=[_owner(reader_id), self.ttl + READERS_SLACK_SECONDS],
            )
            if await self._recovered():
                return Hit(None, None)  # the page may be one a lost invalidation left
        except self.errors as exc:
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
        try:
            await self.client.set(
                page_prefix(reader_id, mode) + generation, json.dumps(ids), ex=self.ttl
            )
        except self.errors as exc:
            await self._failed(exc)

    async def recent_readers(self) -> list[int] | None:
        """Readers who may have a cached page (None when Redis does not answer)."""
        keys = [readers_key(number) for number in range(BUCKETS)]
        args = [self.ttl + READERS_SLACK_SECONDS]
        try:
            if self.cluster:
                found = await asyncio.gather(*(self._recent(keys=[key], args=args) for key in keys))
                members = [member for part in found for member in part]
            else:
                members = await self._recent(keys=keys, args=args)
            await self._recovered()
        except self.errors as exc:
            self._missed_invalidation = True
            await self._failed(exc)
            return None
        owners = (m.decode() if isinstance(m, bytes) else str(m) for m in members)
        return [int(owner) for owner in owners if owner != EVERYONE]

    async def invalidate(self, reader_ids: Iterable[int], everyone: bool = False) -> None:
        """Make the readers' cached pages (and the ``all`` page) unreachable."""
        readers: list[int | None] = list(reader_ids)
        if everyone:
            readers.append(None)
        if not readers:
            return
        try:
            groups = self._bump_groups(readers)
            if len(groups) == 1:
                await self._bump_keys(groups[0])
            else:  # the buckets of a cluster, each on its master, at once
                await asyncio.gather(*(self._bump_keys(keys) for keys in groups))
            await self._recovered()
        except self.errors as exc:
            self._missed_invalidation = True
            await self._failed(exc)

    def _bump_groups(self, readers: list[int | None]) -> list[list[str]]:
        """The generation keys of ``readers``, in groups one script may bump: any keys on
        one server, the keys of one bucket on a cluster."""
        if not self.cluster:
            return [[gen_key(r) for r in readers]]
        groups: dict[int, list[str]] = defaultdict(list)
        for reader in readers:
            groups[bucket(reader)].append(gen_key(reader))
        return list(groups.values())

    async def _bump_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), BUMP_BATCH):
            await self._bump(keys=keys[start : start + BUMP_BATCH], args=[GENERATION_TTL_SECONDS])

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
        owners = {_owner(r) for r in [*gone, *shown]} | {EVERYONE}
        try:
            pages = self.client.scan_iter(match=f"{PREFIX}:page:*", count=1000)
            async for keys in _batches(pages):
                doomed = [key for key in keys if _page_owner(key) in owners]
                if doomed:
                    await self.client.unlink(*doomed)
            if gone:
                await self.client.unlink(*(gen_key(g) for g in gone))
                by_bucket: dict[int, list[str]] = defaultdict(list)
                for g in gone:
                    by_bucket[bucket(g)].append(_owner(g))
                for number, members in by_bucket.items():
                    await self.client.zrem(readers_key(number), *members)
        except self.errors as exc:
            self._missed_invalidation = True
            await self._failed(exc)

    async def clear(self) -> None:
        """Delete every key of the feed cache (on a cluster: on every master)."""
        async for keys in _batches(self.client.scan_iter(match=f"{PREFIX}:*", count=1000)):
            await self.client.unlink(*keys)

    async def memory_bytes(self) -> int:
        """Bytes Redis uses for the feed cache's keys (sampled with MEMORY USAGE)."""
        total = 0
        async for key in self.client.scan_iter(match=f"{PREFIX}:*", count=1000):
            total += int(await self.client.memory_usage(key) or 0)
        return total


def _page_owner(key: bytes | str) -> str:
    """The owner part of a page key (``mb:feed:page:<owner>:<mode>:...``)."""
    text = key.decode() if isinstance(key, bytes) else key
    return text.removeprefix(f"{PREFIX}:page:").split(":", 1)[0]


async def _batches(keys: AsyncIterator[Any], size: int = 500) -> AsyncIterator[list[Any]]:
    batch: list[Any] = []
    async for key in keys:
        batch.append(key)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
