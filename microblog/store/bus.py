"""The live bus: small messages every server process hears (new posts in feeds, deletions,
notifications), for the streaming API and the live pages.

Two carriers with one interface: Redis pub/sub, and PostgreSQL ``LISTEN/NOTIFY`` for a
server without Redis. A message is a small JSON object (ids only, well under NOTIFY's 8,000
bytes); each process works out for itself which of its connected readers it concerns.
Delivery is at most once: a listener that was away misses what was said meanwhile, and a
reconnecting client catches up through the REST timelines (``Last-Event-ID``).
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
from redis.exceptions import RedisError

from microblog.domain.types import Conn
from microblog.store import live

log = logging.getLogger(__name__)
CHANNEL = "microblog_live"
RETRY_SECONDS = 1.0
WARN_EVERY_SECONDS = 60.0

Message = dict[str, Any]


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
    """The live channel on Redis pub/sub."""

    def __init__(self, client: aioredis.Redis, url: str, channel: str = CHANNEL) -> None:
        self.client = client  # publishes (it gives up fast: a live message may be lost)
        self.url = url
        self.channel = channel
        self.lost = _Lost()

    async def publish_in(self, conn: Conn, messages: Sequence[Message]) -> None:
        return  # Redis hears of a write once it is committed

    async def publish_after(self, messages: Sequence[Message]) -> None:
        for message in messages:
            try:
                await self.client.publish(self.channel, orjson.dumps(message))
            except (RedisError, OSError) as exc:
                self.lost("Redis", exc)

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[AsyncIterator[Message]]:
        # A client of its own: waiting for messages must not time out as commands do.
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1.0)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            yield self._messages(pubsub)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                await client.aclose()

    async def _messages(self, pubsub: Any) -> AsyncIterator[Message]:
        while True:
            try:
                raw = await pubsub.get_message(timeout=None)
            except (RedisError, OSError) as exc:
                log.warning("live bus: Redis away (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.subscribe(self.channel)
                continue
            if raw is not None and raw.get("type") == "message":
                yield orjson.loads(raw["data"])


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
