"""Mastodon's streaming API: Server-Sent Events under /api/v1/streaming/* and one WebSocket
at /api/v1/streaming, fed by this process's ``LiveHub``.

Payloads are exactly the REST entities (a Status for ``update`` and ``status.update``, a
Notification for ``notification``, the post id as text for ``delete``). An SSE event
carries an ``id``: the newest post id and notification id the stream has sent (``p.n``);
a client that reconnects with ``Last-Event-ID`` first gets what it missed (up to
``REPLAY_LIMIT`` of each, through the same timelines as the REST API), then the live
events, without duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from microblog.domain import rules, scopes
from microblog.domain.errors import Forbidden, Invalid, Unauthenticated
from microblog.domain.models import Access, FeedMode, Post
from microblog.domain.types import Window
from microblog.live import HASHTAG_STREAMS, PUBLIC_STREAMS, STREAMS, Event, LiveHub, Subscription
from microblog.service import Microblog
from microblog.web import mastodon, params
from microblog.web.deps import bearer_token

log = logging.getLogger(__name__)
# Not in the OpenAPI document (streams are no JSON operations; docs/streaming.md is their
# reference, as Mastodon documents its streaming API apart).
router = APIRouter(
    prefix="/api/v1/streaming",
    include_in_schema=False,
    dependencies=[Depends(params.storable_parameters)],
)
# The WebSocket's own router: the API's per-request dependencies (rate limits) take an
# HTTP request; a socket is limited when it subscribes instead (one hub subscription).
sockets = APIRouter(prefix="/api/v1/streaming", include_in_schema=False)
REPLAY_LIMIT = 40
MAX_STREAMS = 50  # per WebSocket: each is a set entry the hub scans per message
SCOPE_OF = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    "public": "read:statuses",
    "public:local": "read:statuses",
    "hashtag": "read:statuses",
    "hashtag:local": "read:statuses",
}


@dataclass
class Marks:
    """What a stream has sent so far: the newest post and notification ids."""

    post: int = 0
    notification: int = 0

    @classmethod
    def parse(cls, raw: str | None) -> Marks:
        """From a ``Last-Event-ID`` (``p.n``); nothing when absent or malformed."""
        post, _, notification = (raw or "").partition(".")
        if not (post.isdigit() and (notification.isdigit() or not notification)):
            return cls()
        return cls(int(post), int(notification or 0))

    def __str__(self) -> str:
        return f"{self.post}.{self.notification}"


def _hub(app_state: Any) -> LiveHub:
    return app_state.runtime.live  # type: ignore[no-any-return]


def _microblog(app_state: Any) -> Microblog:
    return app_state.runtime.microblog  # type: ignore[no-any-return]


def _origin(app_state: Any) -> str:
    return app_state.runtime.settings.origin  # type: ignore[no-any-return]


async def _access(microblog: Microblog, token: str | None) -> Access | None:
    if token is None:
        return None
    access = await microblog.token_access(token)
    if access is None:
        raise Unauthenticated("The access token is invalid")
    return access


def _check(access: Access | None, stream: str, raw_tag: str) -> str:
    """Refuse a stream this caller may not open (Mastodon's rules); the hashtag, named as
    posts store it (``rules.tag_name``), for a hashtag stream, else ''."""
    if stream not in STREAMS:
        raise Invalid(f"Unknown stream: {rules.storable(stream, 'stream')[:40]}", "stream")
    tag = ""
    if stream in HASHTAG_STREAMS:
        if not raw_tag.strip():
            raise Invalid("tag is required for a hashtag stream", "tag")
        found = rules.tag_name(rules.storable(raw_tag.strip(), "tag"))
        if found is None:
            raise Invalid("tag is not a hashtag name", "tag")
        tag = found
    personal = stream not in PUBLIC_STREAMS | HASHTAG_STREAMS
    if access is None:
        if personal:
            raise Unauthenticated("The access token is invalid")
        return tag
    if personal and access.user is None:
        raise Invalid("This stream requires an authenticated user")
    if not scopes.allows(access.scope, SCOPE_OF[stream]):
        needed = SCOPE_OF[stream]
        raise Forbidden(f"This stream is outside the authorized scopes (it needs {needed})")
    return tag


def render(event: Event, origin: str) -> tuple[str, str]:
    """(event name, payload text) as Mastodon sends them."""
    if event.kind in ("update", "status.update"):
        assert event.post is not None
        return event.kind, _status_json(event.post, origin)
    if event.kind == "delete":
        return "delete", str(event.post_id)
    assert event.notification is not None
    return "notification", orjson.dumps(mastodon.notification(event.notification, origin)).decode()


@functools.lru_cache(maxsize=1024)
def _status_json(post: Post, origin: str) -> str:
    """A post's Status as JSON, made once for all the streams it goes to (a live post
    carries no reader's flags; an equal post makes an equal text)."""
    return orjson.dumps(mastodon.status(post, origin)).decode()


async def _replay(
    microblog: Microblog, subscription: Subscription, marks: Marks, notifications: bool
) -> list[Event]:
    """What a reconnecting ``user`` stream missed, oldest first."""
    user_id = subscription.user_id
    if user_id is None or (marks.post == 0 and marks.notification == 0):
        return []
    missed: list[Event] = []
    if marks.post and subscription.wants("user"):
        window = Window(above=marks.post, oldest_first=True)
        page = await microblog.feed(user_id, FeedMode.TIMELINE, window, REPLAY_LIMIT)
        missed += [Event(("user",), "update", post=p) for p in reversed(page.posts)]
    if marks.notification and notifications:
        window = Window(above=marks.notification, oldest_first=True)
        shown = await microblog.notifications(user_id, window, REPLAY_LIMIT)
        streams = ("user",) if subscription.wants("user") else ("user:notification",)
        missed += [
            Event(streams, "notification", notification=n)
            for n in sorted(shown, key=lambda n: n.notification.id)
        ]
    return missed


def _key(event: Event) -> tuple[str, int] | None:
    """What identifies an event among those a replay sends: a new post's id, a
    notification's id (edits and deletions are not replayed)."""
    if event.kind == "update" and event.post is not None:
        return ("post", event.post.id)
    if event.kind == "notification" and event.notification is not None:
        return ("notification", event.notification.notification.id)
    return None


def _advance(marks: Marks, event: Event) -> None:
    """Move the marks up to an event (never down: posts commit, and so arrive, in commit
    order, not id order, and a lower id may come after a higher one)."""
    key = _key(event)
    if key is None:
        return
    kind, ident = key
    if kind == "post":
        marks.post = max(marks.post, ident)
    else:
        marks.notification = max(marks.notification, ident)


async def _events(
    hub: LiveHub,
    microblog: Microblog,
    access: Access | None,
    wanted: set[tuple[str, str]],
    marks: Marks,
) -> AsyncIterator[Event]:
    user_id = None if access is None or access.user is None else access.user.id
    notifications = access is not None and scopes.allows(access.scope, "read:notifications")
    async with hub.subscribe(user_id) as subscription:
        subscription.streams |= wanted
        # Subscribed first, then the replay: whatever happens in between is in the queue;
        # what the replay sent is not sent again.
        replayed: set[tuple[str, int]] = set()
        for event in await _replay(microblog, subscription, marks, notifications):
            key = _key(event)
            if key is not None:
                replayed.add(key)
            _advance(marks, event)
            yield event
        async for event in subscription.events():
            if event.kind == "notification" and not notifications:
                continue
            if (key := _key(event)) is not None and key in replayed:
                continue
            _advance(marks, event)
            yield event


async def _open_sse(request: Request, stream: str, tag: str = "") -> EventSourceResponse:
    state = request.app.state
    microblog = _microblog(state)
    token = bearer_token(request) or request.query_params.get("access_token")
    access = await _access(microblog, token)
    tag = _check(access, stream, tag)
    marks = Marks.parse(
        request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    )
    origin = _origin(state)
    wanted = {(stream, tag)}

    async def sse() -> AsyncIterator[ServerSentEvent]:
        async for event in _events(_hub(state), microblog, access, wanted, marks):
            name, data = render(event, origin)
            yield ServerSentEvent(data=data, event=name, id=str(marks), sep="\n")

    # Lines end in \n alone, as Mastodon sends them (Mastodon.py reads no \r\n).
    return EventSourceResponse(
        sse(),
        ping=request.app.state.runtime.settings.stream_heartbeat_seconds,
        send_timeout=30,
        sep="\n",
    )


@router.get("/health", summary="Whether the streaming API is up")
async def health() -> PlainTextResponse:
    return PlainTextResponse("OK")


@router.get("/user", summary="The caller's home timeline and notifications, live")
async def user_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "user")


@router.get("/user/notification", summary="The caller's notifications, live")
async def notification_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "user:notification")


@router.get("/public", summary="The public timeline, live")
async def public_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "public")


@router.get("/public/local", summary="The public timeline, live (every account is local)")
async def public_local_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "public:local")


@router.get("/hashtag", summary="Public posts with a hashtag, live")
async def hashtag_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "hashtag", request.query_params.get("tag", ""))


@router.get("/hashtag/local", summary="Public posts with a hashtag, live (all local)")
async def hashtag_local_stream(request: Request) -> EventSourceResponse:
    return await _open_sse(request, "hashtag:local", request.query_params.get("tag", ""))


# The WebSocket ----------------------------------------------------------------------------


@sockets.websocket("")
async def websocket(socket: WebSocket) -> None:
    """One socket, many streams: ``?stream=`` opens the first; ``{"type": "subscribe",
    "stream": ..., "tag": ...}`` and ``unsubscribe`` change them. Messages are
    ``{"stream": [...], "event": ..., "payload": "<entity JSON or id>"}``."""
    state = socket.app.state
    microblog = _microblog(state)
    protocol = socket.headers.get("sec-websocket-protocol")
    token = socket.query_params.get("access_token") or protocol
    if token is None:
        header = socket.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    try:
        access = await _access(microblog, token)
    except Unauthenticated:
        await socket.close(code=4001, reason="The access token is invalid")
        return
    await socket.accept(subprotocol=protocol)
    origin = _origin(state)
    notifications = access is not None and scopes.allows(access.scope, "read:notifications")
    user_id = None if access is None or access.user is None else access.user.id
    async with _hub(state).subscribe(user_id) as subscription:
        first = socket.query_params.get("stream")
        if first:
            await _change(socket, access, subscription, "subscribe", first, socket.query_params)
        sender = asyncio.create_task(_send(socket, subscription, origin, notifications))
        try:
            while True:
                raw = await socket.receive_text()
                try:
                    message = orjson.loads(raw)
                    kind, stream = message["type"], message["stream"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    await _error(socket, 'A message is {"type": ..., "stream": ...}')
                    continue
                await _change(socket, access, subscription, kind, stream, message)
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender


async def _change(
    socket: WebSocket,
    access: Access | None,
    subscription: Subscription,
    kind: object,
    stream: object,
    params: Any,
) -> None:
    tag = params.get("tag", "")
    if not isinstance(stream, str) or not isinstance(tag, str):
        await _error(socket, "stream and tag are text")
        return
    try:
        tag = _check(access, stream, tag)
    except (Invalid, Forbidden, Unauthenticated) as exc:
        await _error(socket, str(exc))
        return
    key = (stream, tag)
    if kind == "subscribe":
        if key not in subscription.streams and len(subscription.streams) >= MAX_STREAMS:
            await _error(socket, f"A socket holds at most {MAX_STREAMS} streams")
            return
        subscription.streams.add(key)
    elif kind == "unsubscribe":
        subscription.streams.discard(key)
    else:
        await _error(socket, "type is subscribe or unsubscribe")


async def _error(socket: WebSocket, message: str) -> None:
    await socket.send_text(orjson.dumps({"error": message}).decode())


async def _send(
    socket: WebSocket, subscription: Subscription, origin: str, notifications: bool
) -> None:
    async for event in subscription.events():
        if event.kind == "notification" and not notifications:
            continue
        name, payload = render(event, origin)
        await socket.send_text(
            orjson.dumps(
                {"stream": list(event.streams), "event": name, "payload": payload}
            ).decode()
        )
    await socket.close(code=1013, reason="Fell behind; reconnect")
