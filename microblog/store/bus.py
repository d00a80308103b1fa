"""The live bus: small messages every server process hears (new posts in feeds, deletions,
notifications), for the streaming API and the live pages.

Two carriers with one interface: Redis pub/sub, and PostgreSQL ``LISTEN/NOTIFY`` for a
server without Redis. On a Redis Cluster the channel is a sharded one (``SPUBLISH`` /
``SSUBSCRIBE``): it lives on the master that owns its slot (and that master's replicas), not
on every node as a classic channel would. A message is a small JSON object (ids only, well
under NOTIFY's 8,000 bytes); each process works out for itself which of its connected
readers it concerns. Delivery is at most once: a listener that was away misses what was said
meanwhile, and a reconnecting client catches up through the REST timelines
(``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import orjson
import psycopg
import redis.asyncio as aioredis
from psycopg import sql
from redis.crc import key_slot
from redis.exceptions import RedisError

from microblog.domain.types import Conn
from microblog.store import live
from microblog.store.redis_client import (
    REDIS_ERRORS,
    RedisClient,
    address,
    credentials,
    failures,
    is_cluster,
)

log = logging.getLogger(__name__)
CHANNEL = "microblog_live"
RETRY_SECONDS = 1.0
WARN_EVERY_SECONDS = 60.0
# On a cluster: seconds to wait for a node's answer (where the channel lives, the
# subscription's confirmation), and between checks that the channel has not moved.
CLUSTER_ANSWER_SECONDS = 1.0
OWNER_CHECK_SECONDS = 5.0

Message = dict[str, Any]
# Said by a Redis listener itself, not by a writer: listening broke (messages said from now
# on may be lost), and listening again (on a fresh subscription). A listener that must not
# miss a message (``credentials``) acts on them; the live hub ignores them.
INTERRUPTED: Message = {"kind": "interrupted"}
RESUMED: Message = {"kind": "resumed"}


class Bus(Protocol):
    """Publishes to, and listens on, the one live channel.

    A write says its messages twice over, and each carrier acts on one of the two: inside
    the write's transaction (``publish_in``: PostgreSQL's NOTIFY, which is delivered when,
    and only if, the transaction commits, on the write's own connection) and after the
    commit (``publish_after``: Redis, which must not be told before the rows are visible).
    """

    async def publish_in(self, conn: Conn, messages: Sequence[Message]) -> None:
        """Say ``messages`` as part of the transaction open on ``conn``."""

    async def publish_after(self, messages: Sequence[Message]) -> None:
        """Say ``messages`` after the transaction committed (lost, with a warning, on
        failure)."""

    def listen(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Message]]:
        """Messages as they are said, from the moment the context is entered."""


class _Lost:
    """Warns of lost messages at most once a minute (a server without Redis says it once,
    not once per post), with the count lost meanwhile."""

    def __init__(self) -> None:
        self.count = 0
        self.warned_at = -WARN_EVERY_SECONDS

    def __call__(self, carrier: str, exc: BaseException) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.warned_at >= WARN_EVERY_SECONDS:
            log.warning("%d live message(s) lost (%s: %s)", self.count, carrier, exc)
            self.count, self.warned_at = 0, now


class RedisBus:
    """The live channel on Redis pub/sub; sharded pub/sub on a Redis Cluster."""

    def __init__(self, client: RedisClient, url: str, channel: str = CHANNEL) -> None:
        self.client = client  # publishes (it gives up fast: a live message may be lost)
        self.url = url
        self.channel = channel
        self.sharded = is_cluster(client)
        self.errors = failures(client)
        self.lost = _Lost()

    async def publish_in(self, conn: Conn, messages: Sequence[Message]) -> None:
        return  # Redis hears of a write once it is committed

    async def publish_after(self, messages: Sequence[Message]) -> None:
        for message in messages:
            try:
                if self.sharded:
                    await self.client.spublish(self.channel, orjson.dumps(message))
                else:
                    await self.client.publish(self.channel, orjson.dumps(message))
            except self.errors as exc:
                self.lost("Redis", exc)

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[AsyncIterator[Message]]:
        if self.sharded:
            listener = ShardListener(self.url, self.channel)
            try:
                await listener.connect()
                yield listener.messages()
            finally:
                await listener.close()
            return
        # A client of its own: waiting for messages must not time out as commands do. Named
        # after its channel, so that an operator (or a test) can tell it in CLIENT LIST.
        client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=1.0, client_name=listener_name(self.channel)
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            yield self._messages(pubsub)
        finally:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                await client.aclose()

    async def _messages(self, pubsub: Any) -> AsyncIterator[Message]:
        while True:
            try:
                raw = await pubsub.get_message(timeout=None)
            except REDIS_ERRORS as exc:
                log.warning("live bus: Redis away (%s); retrying", exc)
                yield INTERRUPTED
                await asyncio.sleep(RETRY_SECONDS)
                with contextlib.suppress(*REDIS_ERRORS):
                    await pubsub.subscribe(self.channel)
                    yield RESUMED
                continue
            if raw is not None and raw.get("type") == "message":
                yield orjson.loads(raw["data"])


async def stop_listener(task: asyncio.Task[None] | None, seconds: float = 2.0) -> bool:
    """Cancel a task that listens on the bus, again and again until it has stopped (at most
    ``seconds``): a cancellation that reaches it while redis-py is still connecting can be
    lost there (seen with redis-py 8.1: the subscription then completes and the task waits
    for messages). Whether it stopped."""
    deadline = time.monotonic() + seconds
    while task is not None and not task.done():
        if time.monotonic() > deadline:
            log.warning("a bus listener did not stop within %s s", seconds)
            return False
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    return True


def listener_name(channel: str) -> str:
    """The Redis client name of a process's listener on ``channel``."""
    return f"listen:{channel}"


class ChannelMoved(RedisError):
    """The master the listener subscribed on no longer owns the channel's slot."""


class ShardListener:
    """Listens on a sharded channel of a Redis Cluster: ``SSUBSCRIBE`` on the master that
    owns the channel's slot, with a plain connection of its own.

    A failover moves the channel: the connection to a dead master breaks, a demoted master
    says ``SUNSUBSCRIBE``, and a master cut off by the network says nothing, so the
    listener asks the cluster every few seconds of silence where the channel lives. Each
    time, it subscribes again on the master the cluster names now. (redis-py 8.1's cluster
    pub/sub moves its shard subscriptions when its cluster client refreshes its map of
    slots, which that client does after a command of its own fails: a listener sends none.)
    """

    def __init__(self, url: str, channel: str) -> None:
        self.seeds = [address(url)]  # nodes to ask where the channel lives
        self.username, self.password = credentials(url)
        self.channel = channel
        self.slot = key_slot(channel.encode())
        self.owner: tuple[str, int] | None = None
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None

    async def connect(self) -> None:
        """Subscribe on the channel's master, and wait until it confirms."""
        await self.close()
        self.owner = await self.find_owner()
        host, port = self.owner
        self._client = aioredis.Redis(
            host=host,
            port=port,
            socket_connect_timeout=CLUSTER_ANSWER_SECONDS,
            socket_keepalive=True,
            username=self.username,
            password=self.password,
        )
        self._pubsub = self._client.pubsub()
        await self._pubsub.ssubscribe(self.channel)
        deadline = time.monotonic() + CLUSTER_ANSWER_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            raw = await self._pubsub.get_message(timeout=left)
            if raw is not None and raw.get("type") == "ssubscribe":
                return
        raise ChannelMoved(f"127.0.0.1:{port} did not confirm SSUBSCRIBE {self.channel}")

    async def close(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub = self._client = None
        if pubsub is not None:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()
        if client is not None:
            with contextlib.suppress(*REDIS_ERRORS):
                await client.aclose()

    async def find_owner(self) -> tuple[str, int]:
        """The master that owns the channel's slot, as the first node that answers says
        (``CLUSTER SLOTS``); every node it names is asked next time too."""
        failure: Exception | None = None
        for host, port in list(self.seeds):
            client = aioredis.Redis(
                host=host,
                port=port,
                socket_timeout=CLUSTER_ANSWER_SECONDS,
                socket_connect_timeout=CLUSTER_ANSWER_SECONDS,
                username=self.username,
                password=self.password,
            )
            try:
                slots = await client.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
            except REDIS_ERRORS as exc:
                failure = exc
                continue
            finally:
                await client.aclose()
            owner, nodes = _owner_of(slots, self.slot, host)
            # The node that answered first, then every node it knows.
            self.seeds = list(dict.fromkeys([(host, port), *nodes, *self.seeds]))
            if owner is not None:
                return owner
        raise ChannelMoved(f"no node of the cluster names the master of {self.channel} ({failure})")

    async def messages(self) -> AsyncIterator[Message]:
        """The channel's messages, across failovers (those said meanwhile are lost)."""
        checked = time.monotonic()
        while True:
            try:
                if self._pubsub is None:
                    await self.connect()
                    yield RESUMED
                raw = await self._pubsub.get_message(timeout=OWNER_CHECK_SECONDS)
                if raw is None or time.monotonic() - checked >= OWNER_CHECK_SECONDS:
                    checked = time.monotonic()
                    if await self.find_owner() != self.owner:
                        raise ChannelMoved(f"{self.channel} moved to another master")
                if raw is None:
                    continue
                if raw.get("type") == "sunsubscribe":
                    raise ChannelMoved(f"{self.channel} moved (SUNSUBSCRIBE)")
                if raw.get("type") == "smessage":
                    yield orjson.loads(raw["data"])
            except REDIS_ERRORS as exc:
                log.warning("live bus: Redis Cluster channel away (%s); retrying", exc)
                yield INTERRUPTED
                await self.close()
                await asyncio.sleep(RETRY_SECONDS)


def _owner_of(
    slots: Any, slot: int, asked: str
) -> tuple[tuple[str, int] | None, list[tuple[str, int]]]:
    """From a ``CLUSTER SLOTS`` reply of the node on host ``asked``: the master of ``slot``,
    and every node named (a node whose address the reply leaves out is on ``asked``)."""
    owner = None
    nodes: list[tuple[str, int]] = []
    for entry in slots:
        low, high, *members = entry
        named = [(_host(m[0], asked), int(m[1])) for m in members]
        nodes += named
        if int(low) <= slot <= int(high) and named:
            owner = named[0]
    return owner, nodes


def _host(value: Any, asked: str) -> str:
    text = value.decode() if isinstance(value, bytes) else str(value)
    return asked if text in ("", "?") else text


class PostgresBus:
    """The live channel on PostgreSQL ``LISTEN/NOTIFY``: the write's own connection says it
    (delivered at commit, never for a rollback); one connection per process listens."""

    def __init__(self, database_url: str, channel: str = CHANNEL) -> None:
        self.database_url = database_url
        self.channel = channel

    async def publish_in(self, conn: Conn, messages: Sequence[Message]) -> None:
        for message in messages:
            await live.notify(conn, self.channel, orjson.dumps(message).decode())

    async def publish_after(self, messages: Sequence[Message]) -> None:
        return  # said in the transaction

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[AsyncIterator[Message]]:
        conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            yield self._messages(conn)
        finally:
            await conn.close()

    async def _messages(self, conn: psycopg.AsyncConnection[Any]) -> AsyncIterator[Message]:
        async for notify in conn.notifies():
            yield orjson.loads(notify.payload)
