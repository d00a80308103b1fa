"""Live pages: one Server-Sent Events stream per logged-in page (htmx's SSE extension), fed
by the same ``LiveHub`` as the streaming API.

``/live`` sends ``badge`` (the notifications badge, as HTML, after each notification) and,
for the home timeline (``?home=1``), ``post`` (a new post of the reader's home feed,
rendered as the feed renders it). The page keeps new posts aside and shows "N new posts";
a click puts them on top of the feed (static/app.js).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from microblog.domain.errors import Unauthenticated
from microblog.live import LiveHub
from microblog.web.deps import MicroblogDep, PageUser, csrf_token
from microblog.web.render import templates

router = APIRouter(include_in_schema=False)


def fragment(name: str, context: dict[str, Any]) -> str:
    """A template rendered to text (an event's payload)."""
    return templates().get_template(name).render(context)


@router.get("/live")
async def live(request: Request, microblog: MicroblogDep, me: PageUser) -> EventSourceResponse:
    """This page's live events (see the module's docstring)."""
    if me is None:
        raise Unauthenticated("Log in to see live updates")
    home = request.query_params.get("home") == "1"
    hub: LiveHub = request.app.state.runtime.live
    context = {"me": me, "csrf": csrf_token(request), "here": "/"}

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with hub.subscribe(me.id) as subscription:
            subscription.streams.add(("user" if home else "user:notification", ""))
            async for event in subscription.events():
                if event.kind == "update" and event.post is not None:
                    html = fragment("_post.html", {**context, "post": event.post, "fresh": True})
                    yield ServerSentEvent(data=html, event="post", sep="\n")
                elif event.kind == "notification":
                    unread = await microblog.unread_notifications(me.id)
                    html = fragment("_badge.html", {"unread": unread})
                    yield ServerSentEvent(data=html, event="badge", sep="\n")

    return EventSourceResponse(
        events(),
        ping=request.app.state.runtime.settings.stream_heartbeat_seconds,
        send_timeout=30,
        sep="\n",
    )
