"""Read-your-writes across replicas, for every request at once (``store/replicas.py``).

A request that may write (any method but GET, HEAD and OPTIONS) reads on the primary, so
the answer it renders after its write shows that write. When it has answered successfully,
before the answer leaves, its caller is marked with the primary's WAL position: their next
reads, in any server process, wait for a replica that has replayed that far. Reads of a
GET know their caller through ``ACTOR``, set where the caller is identified (``deps``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microblog.domain.context import ACTOR, PRIMARY_ONLY
from microblog.service import Microblog

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadYourWrites:
    """ASGI middleware; does nothing when no replica is configured."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Nobody is the caller until the request's dependencies say who is (a server runs
        # each request in a task of its own; this also holds where it does not).
        actor = ACTOR.set(None)
        try:
            await self._serve(scope, receive, send)
        finally:
            ACTOR.reset(actor)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        microblog: Microblog = scope["app"].state.runtime.microblog
        if not microblog.replicas:
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                actor = scope.get("state", {}).get("actor_id")
                if isinstance(actor, int):
                    await microblog.wrote(actor)
            await send(message)

        token = PRIMARY_ONLY.set(True)
        try:
            await self.app(scope, receive, send_marked)
        finally:
            PRIMARY_ONLY.reset(token)
