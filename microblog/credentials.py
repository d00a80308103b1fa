"""What API tokens and browser sessions grant, remembered for a short while in each server
process, so that most requests find their caller without a database round trip.

Revocation is honoured. Every write that ends a grant or changes what it carries (a token
revoked, a session ended, a password changed, an application's access taken away, an
account deleted, a profile edited) says so on the credentials channel of the bus (the live
bus's carrier: Redis pub/sub, or PostgreSQL ``NOTIFY`` in the write's transaction), and
every process drops what the message names; the writing process drops it at once.

What could let a revoked grant through, and why it cannot for long:
- a process remembers nothing while it is not listening: it starts listening on its first
  lookup, and forgets everything whenever listening breaks or starts again (``INTERRUPTED``,
  ``RESUMED``), so messages said while it was away cannot be missed;
- a lookup that read the database before a message came and stores its answer after would
  bring the old grant back: every message moves an epoch, and an answer read under an older
  epoch is not stored;
- a message lost on the way (Redis failing between the commit and the publish, while the
  listener stays connected) is covered by the entries' lifetime (``ttl``): no entry is used
  longer than that after it was read from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from microblog.domain.types import Conn
from microblog.store.bus import INTERRUPTED, RESUMED, Bus, Message, stop_listener

log = logging.getLogger(__name__)
T = TypeVar("T")
CHANNEL = "microblog_credentials"
RETRY_SECONDS = 1.0
WARN_EVERY_SECONDS = 60.0
DEFAULT_SIZE = 10_000

# A key: ("token", sha256 of the token) or ("session", sha256 of the session id).
Key = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    until: float  # monotonic time after which it is read from the database again
    user_id: int | None
    value: T


def token_ended(digest: bytes) -> Message:
    """The message for one revoked token (its SHA-256)."""
    return {"kind": "token", "hash": digest.hex()}


def session_ended(digest: bytes) -> Message:
    """The message for one ended browser session (the SHA-256 of its id)."""
    return {"kind": "session", "hash": digest.hex()}


def user_changed(user_id: int) -> Message:
    """The message for every grant of one account (its tokens or sessions ended, or what
    they carry of the account changed)."""
    return {"kind": "user", "id": user_id}


class Credentials:
    """The process's remembered grants, and the listener that keeps them honest. With
    ``ttl`` 0 (or no bus) nothing is remembered; the messages are still said."""

    def __init__(self, bus: Bus | None, ttl: float, size: int = DEFAULT_SIZE) -> None:
        self.bus = bus
        self.ttl = ttl
        self.size = size
        self.epoch = 0
        self.listening = False
        self._entries: dict[Key, _Entry[object]] = {}
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failed_at = -WARN_EVERY_SECONDS

    @property
    def enabled(self) -> bool:
        return self.bus is not None and self.ttl > 0

    def get(self, key: Key) -> object | None:
        """The remembered grant, or None (unknown, too old, or not listening: read the
        database, with ``epoch`` taken before, and ``put`` the answer)."""
        if not self.enabled:
            return None
        self._start()
        if not self.listening:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.until <= time.monotonic():
            del self._entries[key]
            return None
        return entry.value

    def put(
        self, key: Key, value: object, user_id: int | None, epoch: int, ttl: float | None = None
    ) -> None:
        """Remember a grant read from the database while the epoch was ``epoch``, for at
        most ``ttl`` seconds (the cache's own lifetime when shorter or None)."""
        if not self.listening or epoch != self.epoch:
            return
        if len(self._entries) >= self.size:
            # The oldest goes (dicts keep insertion order): one more database read at worst.
            del self._entries[next(iter(self._entries))]
        lifetime = self.ttl if ttl is None else min(ttl, self.ttl)
        self._entries[key] = _Entry(time.monotonic() + lifetime, user_id, value)

    def forget(self) -> None:
        """Forget every remembered grant (each is read from the database again)."""
        self.epoch += 1
        self._entries.clear()

    # Revocation ------------------------------------------------------------------------------

    async def say_in(self, conn: Conn, said: Sequence[Message]) -> None:
        """Say ``said`` inside the write's transaction on ``conn`` (PostgreSQL's carrier)."""
        if self.bus is not None and said:
            await self.bus.publish_in(conn, said)

    async def said(self, said: Sequence[Message]) -> None:
        """After the write committed: drop here at once, and tell the other processes
        (Redis's carrier)."""
        for message in said:
            self.apply(message)
        if self.bus is not None and said:
            await self.bus.publish_after(said)

    def apply(self, message: Message) -> None:
        """Drop what one message names; every message moves the epoch."""
        self.epoch += 1
        kind = message.get("kind")
        if kind == INTERRUPTED["kind"]:
            self.listening = False
            self._entries.clear()
        elif kind == RESUMED["kind"]:
            self._entries.clear()
            self.listening = True
        elif kind in ("token", "session") and isinstance(message.get("hash"), str):
            with contextlib.suppress(ValueError):
                self._entries.pop((kind, bytes.fromhex(message["hash"])), None)
        elif kind == "user":
            user_id = message.get("id")
            for key in [k for k, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[key]
        else:
            # Not ours to judge: forget everything rather than keep what it may have named.
            self._entries.clear()

    # Listening --------------------------------------------------------------------------------

    def _start(self) -> None:
        if not self._closing and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._listen(), name="credentials")

    async def _listen(self) -> None:
        assert self.bus is not None
        while True:
            try:
                async with self.bus.listen() as messages:
                    self.apply(RESUMED)
                    await self._drain(messages)
            except asyncio.CancelledError:
                raise
            except Exception:
                now = time.monotonic()
                if now - self._failed_at >= WARN_EVERY_SECONDS:
                    log.exception("credentials: listening failed; trying again every second")
                    self._failed_at = now
            self.apply(INTERRUPTED)
            await asyncio.sleep(RETRY_SECONDS)

    async def _drain(self, messages: AsyncIterator[Message]) -> None:
        async for message in messages:
            self.apply(message)

    async def close(self) -> None:
        """Stop listening and forget everything."""
        self._closing = True
        self.apply(INTERRUPTED)
        task, self._task = self._task, None
        await stop_listener(task)
