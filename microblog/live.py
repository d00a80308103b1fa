"""Live events for this process's streaming clients and live pages.

Every server process runs one ``LiveHub``. It listens on the live bus (``store.bus``: Redis
pub/sub or PostgreSQL ``LISTEN/NOTIFY``), and for each message works out which of its own
subscriptions it concerns, under the timelines' rules (``store.live``: the home feed's
filters, judged for all connected readers in one query), loads what they need once (the
posts, the notifications) and puts an ``Event`` on each subscription's queue. The web
layer turns events into Server-Sent Events or WebSocket messages.

Streams are Mastodon's: ``user`` (home timeline and notifications), ``user:notification``,
``public``, ``public:local`` (the same here: every account is local), ``hashtag`` and
``hashtag:local`` (with a tag). A subscription that falls ``QUEUE_LIMIT`` events behind is
closed (its client reconnects and catches up with ``Last-Event-ID``), so a slow client
never holds memory or the hub back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Literal

from psycopg_pool import AsyncConnectionPool

from microblog.domain.errors import NotFound
from microblog.domain.models import Post
from microblog.domain.types import Conn
from microblog.social import ShownNotification, SocialVerbs
from microblog.store import live, posts
from microblog.store.bus import Bus, Message, stop_listener

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000
WARN_EVERY_SECONDS = 60.0
USER_STREAMS = frozenset({"user", "user:notification"})
PUBLIC_STREAMS = frozenset({"public", "public:local"})
HASHTAG_STREAMS = frozenset({"hashtag", "hashtag:local"})
STREAMS = USER_STREAMS | PUBLIC_STREAMS | HASHTAG_STREAMS

Kind = Literal["update", "status.update", "delete", "notification"]


@dataclass(frozen=True, slots=True)
class Event:
    """One event for one subscription: the streams it belongs to (Mastodon's names, with
    the tag for a hashtag stream), and a post (update, status.update), a post id (delete)
    or a notification."""

    streams: tuple[str, ...]
    kind: Kind
    post: Post | None = None
    post_id: int | None = None
    notification: ShownNotification | None = None


@dataclass(eq=False)
class Subscription:
    """One client's streams (a set of (stream, tag) pairs; tag '' but for hashtags)."""

    user_id: int | None
    streams: set[tuple[str, str]] = field(default_factory=set)
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue())
    closed: bool = False

    def wants(self, stream: str, tag: str = "") -> bool:
        return (stream, tag) in self.streams

    def put(self, event: Event) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            log.warning("a live subscription fell %d events behind; closed", QUEUE_LIMIT)
            self.close()
            return
        self.queue.put_nowait(event)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)

    async def events(self) -> AsyncIterator[Event]:
        """Events as they come, until the subscription is closed."""
        while (event := await self.queue.get()) is not None:
            yield event


class LiveHub:
    """The live bus's listener for this process, and its subscriptions."""

    def __init__(
        self, bus: Bus, pool: AsyncConnectionPool[Conn], notifications: SocialVerbs
    ) -> None:
        self.bus = bus
        self.pool = pool
        self.notifications = notifications
        self.subscriptions: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._failed_at = -WARN_EVERY_SECONDS

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: int | None) -> AsyncIterator[Subscription]:
        """A subscription for as long as the context lasts; the hub listens from before it
        is handed out, so no event said after this returns is missed."""
        await self._start()
        subscription = Subscription(user_id)
        self.subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()
            self.subscriptions.discard(subscription)

    async def _start(self) -> None:
        if self._task is None or self._task.done():
            self._listening.clear()
            self._task = asyncio.create_task(self._listen(), name="live-hub")
        await self._listening.wait()

    async def close(self) -> None:
        """Stop listening and close every subscription."""
        for subscription in list(self.subscriptions):
            subscription.close()
        task, self._task = self._task, None
        await stop_listener(task)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.bus.listen() as messages:
                    self._listening.set()
                    await self._drain(messages)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A listener never dies of one bad message or a lost connection; it says so
                # once a minute at most (Redis away: every retry would fail alike).
                now = time.monotonic()
                if now - self._failed_at >= WARN_EVERY_SECONDS:
                    log.exception("live hub: listening failed; trying again every second")
                    self._failed_at = now
                self._listening.set()
                await asyncio.sleep(1.0)

    async def _drain(self, messages: AsyncIterator[Message]) -> None:
        """Dispatch messages as they come; those that came while the previous ones were
        being handled go together (``dispatch_many``), so a burst costs a few queries, not
        a few per post."""
        inbox: asyncio.Queue[Message] = asyncio.Queue()

        async def pump() -> None:
            async for message in messages:
                inbox.put_nowait(message)

        pumping = asyncio.create_task(pump())
        try:
            while True:
                getting = asyncio.ensure_future(inbox.get())
                await asyncio.wait({getting, pumping}, return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    pumping.result()  # what ended the listening, raised
                    return
                batch = [getting.result()]
                while not inbox.empty():
                    batch.append(inbox.get_nowait())
                await self.dispatch_many(batch)
        finally:
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping

    async def dispatch_many(self, batch: list[Message]) -> None:
        """Hand bus messages to the subscriptions, in order; new posts said one after
        another go as one (one audience query and one hydration for all of them)."""
        run: list[object] = []
        for message in batch:
            ids = message.get("ids")
            if message.get("kind") == "posts" and isinstance(ids, list):
                run.extend(ids)
                continue
            if run:
                await self.dispatch({"kind": "posts", "ids": run})
                run = []
            await self.dispatch(message)
        if run:
            await self.dispatch({"kind": "posts", "ids": run})

    async def dispatch(self, message: Message) -> None:
        """Hand one bus message to the subscriptions it concerns."""
        if not self.subscriptions:
            return
        try:
            kind = message.get("kind")
            if kind == "posts":
                await self._posts([int(i) for i in message["ids"]], "update")
            elif kind == "edited":
                await self._posts([int(i) for i in message["ids"]], "status.update")
            elif kind == "delete":
                await self._delete(
                    int(message["id"]), int(message["author"]), bool(message.get("public"))
                )
            elif kind == "notifications":
                await self._notifications([(int(i), int(u)) for i, u in message["items"]])
        except (KeyError, TypeError, ValueError):
            log.warning("live hub: a malformed message was dropped: %r", message)

    def _with(self, streams: frozenset[str]) -> list[Subscription]:
        return [s for s in self.subscriptions if any(name in streams for name, _ in s.streams)]

    async def _posts(self, post_ids: list[int], kind: Kind) -> None:
        """New (``update``) or edited (``status.update``) posts, to the streams that show
        them."""
        homes = [s for s in self._with(frozenset({"user"})) if s.user_id is not None]
        publics = self._with(PUBLIC_STREAMS | HASHTAG_STREAMS)
        if not homes and not publics:
            return
        home_readers = {s.user_id for s in homes if s.user_id is not None}
        public_readers = {s.user_id for s in publics if s.user_id is not None}
        async with self.pool.connection() as conn:
            home = await live.home_audience(conn, post_ids, home_readers)
            public = await live.public_audience(conn, post_ids, public_readers) if publics else []
            wanted = sorted({p for p, _ in home} | {p.post_id for p in public})
            found = {p.id: p for p in await posts.hydrate(conn, wanted, None)}
        by_reader: dict[int, list[int]] = {}
        for post_id, reader_id in home:
            by_reader.setdefault(reader_id, []).append(post_id)
        for subscription in homes:
            for post_id in sorted(by_reader.get(subscription.user_id or 0, [])):
                if post_id in found:
                    subscription.put(Event(("user",), kind, post=found[post_id]))
        for item in sorted(public, key=lambda p: p.post_id):
            post = found.get(item.post_id)
            if post is None:
                continue
            for subscription in publics:
                if subscription.user_id is not None and subscription.user_id not in item.user_ids:
                    continue
                for streams in _public_streams(subscription, item):
                    subscription.put(Event(streams, kind, post=post))

    async def _delete(self, post_id: int, author_id: int, public: bool) -> None:
        homes = [s for s in self._with(frozenset({"user"})) if s.user_id is not None]
        readers = {s.user_id for s in homes if s.user_id is not None}
        async with self.pool.connection() as conn:
            audience = set(await live.author_audience(conn, author_id, readers))
        for subscription in homes:
            if subscription.user_id in audience:
                subscription.put(Event(("user",), "delete", post_id=post_id))
        if not public:
            return  # the public streams never showed it: its id is nobody else's business
        for subscription in self._with(PUBLIC_STREAMS | HASHTAG_STREAMS):
            streams = tuple(
                name if not tag else f"{name}:{tag}"
                for name, tag in sorted(subscription.streams)
                if name in PUBLIC_STREAMS | HASHTAG_STREAMS
            )
            subscription.put(Event(streams, "delete", post_id=post_id))

    async def _notifications(self, made: list[tuple[int, int]]) -> None:
        for notification_id, user_id in made:
            listeners = [s for s in self._with(USER_STREAMS) if s.user_id == user_id]
            if not listeners:
                continue
            try:
                shown = await self.notifications.notification(user_id, notification_id)
            except NotFound:
                continue  # taken back (or hidden) before it could be shown
            for subscription in listeners:
                streams = tuple(n for n, _ in sorted(subscription.streams) if n in USER_STREAMS)
                subscription.put(Event(streams, "notification", notification=shown))


def _public_streams(subscription: Subscription, item: live.PublicPost) -> Iterable[tuple[str, ...]]:
    """The stream names under which a subscription gets a public post (one event per
    stream, as Mastodon's WebSocket multiplexes them)."""
    if item.top_level:
        for name in ("public", "public:local"):
            if subscription.wants(name):
                yield (name,)
    for name, tag in itertools.product(("hashtag", "hashtag:local"), item.tags):
        if subscription.wants(name, tag):
            yield (name, tag)
