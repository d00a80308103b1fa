"""The microblog on a Redis Cluster (3 masters, 3 replicas): the feed cache's keys and
scripts, feed pages equal to pull's for every strategy, rate limits, the live bus on sharded
pub/sub; and a master killed while the site is in use, then back as a replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TypeVar

import pytest
import redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from microblog.cluster.redis import HOST, LocalRedisCluster
from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.feeds import available
from microblog.live import Subscription
from microblog.runtime import Runtime
from microblog.settings import RATE_LIMITS, Settings
from microblog.store.bus import RedisBus
from microblog.store.cache import BUCKETS, FeedCache, bucket, gen_key, page_prefix, readers_key
from microblog.store.redis_client import make_client
from tests.api.helpers import PASSWORD
from tests.conftest import flush_cache, open_test_runtime, truncate_all
from tests.integration.test_rate_limits import (
    assert_limited,
    client,
    register,
    started,
    token_request,
)
from tests.integration.test_strategies_equal import (
    History,
    check_equal,
    check_first_pages,
    config_settings,
)

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

T = TypeVar("T")
# Every call of a test against the cluster is bounded: a hang fails, it never waits.
CALL_SECONDS = 15.0
# Readers 1..16: one in every bucket of the cache, so on every master.
READERS = 16
# A fixed history (see test_strategies_equal.History): posts, replies, boosts, mentions,
# follows and unfollows, deletes, edits, blocks and mutes, reads between them.
STEPS: list[tuple[object, ...]] = [
    ("post", 0, None, "public", None),
    ("read", 1),
    ("post", 1, 0, "public", 3),
    ("boost", 2, 0),
    ("look", 4),
    ("post", 3, None, "private", None),
    ("drain",),
    ("follow", 5, 0),
    ("post", 0, None, "unlisted", 5),
    ("post", 6, 1, "direct", 7),
    ("read", 5),
    ("boost", 8, 1),
    ("unfollow", 1, 2),
    ("delete", 2),
    ("drain",),
    ("edit", 0, 9),
    ("mute", 9, 0),
    ("block", 10, 11),
    ("post", 11, None, "public", None),
    ("unboost", 2, 0),
    ("post", 12, None, "public", 13),
    ("read", 13),
    ("drain",),
    ("maintain",),
]


async def bounded(call: Awaitable[T], seconds: float = CALL_SECONDS) -> T:
    return await asyncio.wait_for(call, seconds)


@pytest.fixture
def cluster(redis_cluster: LocalRedisCluster) -> LocalRedisCluster:
    """The session's Redis Cluster (``redis_cluster``)."""
    return redis_cluster


def cluster_settings(settings: Settings, cluster: LocalRedisCluster, **changes: object) -> Settings:
    """The test's settings with Redis on the cluster."""
    return settings.replace(redis_cluster=True, redis_url=cluster.url, **changes)


@contextlib.contextmanager
def node(port: int) -> Iterator[redis.Redis]:
    """A plain client of one node."""
    plain = redis.Redis(host=HOST, port=port, socket_timeout=2, socket_connect_timeout=1)
    try:
        yield plain
    finally:
        plain.close()


def keys_by_master(cluster: LocalRedisCluster, pattern: str) -> dict[int, set[str]]:
    """The keys matching ``pattern`` on each master, read from each master itself."""
    found: dict[int, set[str]] = {}
    for port in cluster.master_ports():
        with node(port) as plain:
            found[port] = {k.decode() for k in plain.scan_iter(match=pattern, count=1000)}
    return found


@contextlib.asynccontextmanager
async def cluster_client(cluster: LocalRedisCluster) -> AsyncIterator[RedisCluster]:
    made = make_client(cluster.url, cluster=True)
    assert isinstance(made, RedisCluster)
    try:
        yield made
    finally:
        await made.aclose()


# The cache's keys and scripts -----------------------------------------------------------


def test_a_readers_keys_share_one_slot_and_buckets_spread_over_the_masters(
    cluster: LocalRedisCluster,
) -> None:
    for reader in [None, *range(1, 40)]:
        slots = {
            key_slot(key.encode())
            for key in (
                gen_key(reader),
                page_prefix(reader, "timeline") + "7",
                page_prefix(reader, "all") + "0",
                readers_key(bucket(reader)),
            )
        }
        assert len(slots) == 1, reader
    masters = {cluster.master_for(readers_key(b)) for b in range(BUCKETS)}
    assert len(masters) == 3


async def test_the_cache_works_on_the_cluster(cluster: LocalRedisCluster) -> None:
    async with cluster_client(cluster) as client:
        cache = FeedCache(client, ttl_seconds=30)
        await bounded(cache.clear())
        readers = list(range(1, READERS + 1))
        # A miss gives the generation to store under; the page is then a hit.
        for reader in readers:
            hit = await bounded(cache.get(reader, "timeline"))
            assert hit.ids is None and hit.generation == "0"
            await bounded(cache.put(reader, "timeline", hit.generation, [reader, 1]))
        for reader in readers:
            assert (await bounded(cache.get(reader, "timeline"))).ids == [reader, 1]
        everyone = await bounded(cache.get(None, "all"))
        await bounded(cache.put(None, "all", everyone.generation, [9]))
        # Pages, generations and recent readers sit on every master.
        spread = keys_by_master(cluster, "mb:feed:*")
        assert all(spread.values()), spread
        recent = await bounded(cache.recent_readers())
        assert recent is not None and sorted(recent) == readers
        # Invalidation (of readers in every bucket, and All) makes their pages unreachable,
        # and a page computed before it, stored after it, is never read (the generation rule).
        await bounded(cache.invalidate([r for r in readers if r % 2 == 0], everyone=True))
        for reader in readers:
            hit = await bounded(cache.get(reader, "timeline"))
            if reader % 2:
                assert hit.ids == [reader, 1]
            else:
                assert hit.ids is None and hit.generation == "1"
                await bounded(cache.put(reader, "timeline", "0", [666]))  # a slow reader
                assert (await bounded(cache.get(reader, "timeline"))).ids is None
        assert (await bounded(cache.get(None, "all"))).ids is None
        # A reader whose read is older than a page's lifetime is no recent reader.
        with node(cluster.master_for(readers_key(bucket(3)))) as plain:
            plain.zadd(readers_key(bucket(3)), {"3": 1})
        assert 3 not in (await bounded(cache.recent_readers()) or [])
        # Deleted accounts leave no key; the others' keys stay.
        await bounded(cache.forget_readers([5, 6], audience=[]))
        left = set().union(*keys_by_master(cluster, "mb:feed:*").values())
        assert not [k for k in left if k.split(":")[3:4] in (["5"], ["6"])]
        assert any(k.split(":")[3:4] == ["7"] for k in left)
        # Clear reaches every master.
        await bounded(cache.clear())
        assert not any(keys_by_master(cluster, "mb:feed:*").values())


# Feed pages ----------------------------------------------------------------------------


async def build(runtime: Runtime, url: str) -> History:
    """READERS users, each following the next two and the first, and a fixed history."""
    history = History(runtime, url)
    for _ in range(READERS):
        history.add_user()
    users = history.users
    for i, follower in enumerate(users):
        for followed in {users[(i + 1) % READERS], users[(i + 2) % READERS], users[0]}:
            if followed != follower:
                await runtime.microblog.follow(follower, followed)
    await history.read_all()
    for step in STEPS:
        await bounded(history.apply(step))
    await bounded(runtime.drain())
    return history


@pytest.mark.parametrize("strategy", available())
async def test_pages_through_the_cache_on_the_cluster_equal_pull(
    cluster: LocalRedisCluster, database_url: str, settings: Settings, strategy: str
) -> None:
    truncate_all(database_url)
    config = config_settings(cluster_settings(settings, cluster), strategy, "redis")
    async with open_test_runtime(config) as runtime:
        await bounded(flush_cache(runtime))
        history = await build(runtime, database_url)
        await bounded(runtime.engine.maintain())
        await bounded(runtime.drain())
        await bounded(check_equal(runtime, history.users), 120)
        # The pages just read were cached on every master.
        spread = keys_by_master(cluster, "mb:feed:page:*")
        assert all(spread.values()), spread


# Rate limits ---------------------------------------------------------------------------


async def test_rate_limits_count_on_the_cluster(
    cluster: LocalRedisCluster, settings: Settings
) -> None:
    prefix = f"microblog-cluster-test-{random.randrange(10**9)}"
    off = {f"rate_limit_{name}": "off" for name in RATE_LIMITS}
    limited = cluster_settings(
        settings, cluster, rate_limits=True, rate_limit_key_prefix=prefix, **off
    ).replace(rate_limit_login="3/minute")
    async with started(limited) as app, client(app) as here:
        await register(here, "ada")
        for _ in range(3):
            response = await bounded(token_request(here, "ada", "wrong password"))
            assert response.status_code == 422
        assert_limited(await bounded(token_request(here, "ada", PASSWORD)), 3, 60)
    counted = set().union(*keys_by_master(cluster, f"{prefix}:*").values())
    assert counted, "no count on the cluster"


async def test_rate_limits_fail_open_when_the_cluster_is_away(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: the cluster client reaches no node.
    away = settings.replace(
        redis_cluster=True,
        redis_url="redis://127.0.0.1:1/0",
        rate_limits=True,
        rate_limit_login="1/minute",
    )
    caplog.set_level(logging.WARNING, logger="microblog.web.ratelimit")
    async with started(away) as app, client(app) as here:
        await register(here, "ada")
        for _ in range(3):
            response = await bounded(token_request(here, "ada", "wrong password"))
            assert response.status_code == 422
        assert (await bounded(token_request(here, "ada", PASSWORD))).status_code == 200
    warnings = [r for r in caplog.records if "rate limits not enforced" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]


# The live bus --------------------------------------------------------------------------


async def heard(runtime: Runtime, author: int, subscription: Subscription, text: str) -> bool:
    """Whether a post of ``author`` reaches the subscription within a few seconds."""
    post = await bounded(runtime.microblog.create_post(author, text, None))
    await bounded(runtime.drain())  # a fan-out strategy says its posts from the job
    deadline = time.monotonic() + 3
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = await asyncio.wait_for(subscription.queue.get(), left)
        except TimeoutError:
            return False
        if event is not None and event.post is not None and event.post.id == post.id:
            return True
    return False


async def hears_again(
    runtime: Runtime, author: int, subscription: Subscription, text: str, seconds: float = 30
) -> None:
    """A post of ``author`` reaches the subscription again, within ``seconds`` (the posts
    said while the listener moves are lost: delivery is at most once)."""
    deadline = time.monotonic() + seconds
    while not await heard(runtime, author, subscription, text):
        assert time.monotonic() < deadline, "the live bus went deaf"


async def test_the_live_bus_carries_messages_on_sharded_pub_sub(
    cluster: LocalRedisCluster, settings: Settings
) -> None:
    async with open_test_runtime(cluster_settings(settings, cluster)) as runtime:
        bus = runtime.live.bus
        assert isinstance(bus, RedisBus) and bus.sharded
        ann = await runtime.microblog.sign_up("ann", "correct horse battery")
        async with runtime.live.subscribe(ann.id) as subscription:
            subscription.streams.add(("user", ""))
            assert await heard(runtime, ann.id, subscription, "over the cluster")
            # The channel is a sharded one, on its slot's master.
            with node(cluster.master_for(bus.channel)) as plain:
                listeners = plain.pubsub_shardnumsub(bus.channel)
                assert listeners == [(bus.channel.encode(), 1)], listeners


# A master killed while the site is in use ----------------------------------------------


async def cached_again(runtime: Runtime, reader: int) -> None:
    """The reader's first page is served from the cache again: at the latest once the cache
    tries Redis again (a second after its last failure) on the cluster's new map."""
    cache = runtime.engine.cache
    assert cache is not None
    while True:
        await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        if (await cache.get(reader, FeedMode.TIMELINE.value)).ids is not None:
            return
        await asyncio.sleep(0.1)


async def test_a_master_killed_in_use_fails_over_and_everything_answers(
    cluster: LocalRedisCluster,
    database_url: str,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    truncate_all(database_url)
    config = config_settings(cluster_settings(settings, cluster), "fanout", "redis")
    async with open_test_runtime(config) as runtime:
        await bounded(flush_cache(runtime))
        history = await build(runtime, database_url)
        users = history.users
        cache = runtime.engine.cache
        assert cache is not None
        bus = runtime.live.bus
        assert isinstance(bus, RedisBus)
        # The master that dies holds the live channel and some readers' cache keys.
        victim = cluster.master_for(bus.channel)
        on_victim = [u for u in users if cluster.master_for(gen_key(u)) == victim]
        elsewhere = [u for u in users if u not in on_victim]
        assert on_victim and elsewhere
        for reader in users:
            await bounded(check_first_pages(runtime, reader))
        # A page on a master that lives: a failover drops it too (the dead master's last
        # invalidations may be lost, as when Redis was away).
        sentinel = page_prefix(elsewhere[0], "sentinel")
        await bounded(cache.put(elsewhere[0], "sentinel", "0", [1]))
        assert set().union(*keys_by_master(cluster, sentinel + "*").values())
        async with runtime.live.subscribe(users[0]) as subscription:
            subscription.streams.add(("user", ""))
            assert await heard(runtime, users[0], subscription, "before")
            # Reads and writes go on while the master dies and its replica takes over.
            killing = asyncio.create_task(asyncio.to_thread(cluster.kill_master, victim))
            try:
                rounds = 0
                while not killing.done() or rounds < 3:
                    rounds += 1
                    author = users[rounds % len(users)]
                    await bounded(runtime.microblog.create_post(author, f"during {rounds}", None))
                    await bounded(runtime.drain())
                    for reader in (*on_victim[:3], *elsewhere[:3]):
                        await bounded(check_first_pages(runtime, reader))
                promoted = await bounded(killing, 60)
            finally:
                if not killing.done():
                    await asyncio.wait({killing}, timeout=60)
            assert promoted != victim
            assert cluster.master_for(bus.channel) == promoted
            # Every page is pull's, through the cache that works again...
            await bounded(check_equal(runtime, users), 120)
            for reader in on_victim[:2]:
                await bounded(cached_again(runtime, reader))
            # ... which dropped every page cached before, on the masters that lived too.
            assert any("masters changed" in r.getMessage() for r in caplog.records)
            assert not set().union(*keys_by_master(cluster, sentinel + "*").values())
            # The live bus listens on the new master.
            await hears_again(runtime, users[0], subscription, "after the failover")
            # The killed node comes back as a replica; the live channel stays.
            await asyncio.to_thread(cluster.restart, victim)
            assert victim not in cluster.master_ports()
            assert await heard(runtime, users[0], subscription, "with the old master back")
            # A manual failover moves the channel back without breaking any connection:
            # the demoted master says SUNSUBSCRIBE, and the listener follows.
            await asyncio.to_thread(cluster.promote, victim)
            assert cluster.master_for(bus.channel) == victim
            await hears_again(runtime, users[0], subscription, "after the manual failover")
            for reader in users:
                await bounded(check_first_pages(runtime, reader))
