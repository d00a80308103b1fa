"""A ceiling on request bodies, enforced before they are buffered.

A body announced larger than the limit (``Content-Length``) is refused before a byte of it
is read; a body that grows past the limit while streaming (chunked, or a lying length) is
refused as soon as it does. Either way the handler sees ``BodyTooLarge`` (413) and the
request's memory stays below the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """The request body is larger than the server accepts (413). An ``HTTPException``, so
    that FastAPI's form reading passes it on as it is, not as a parse error."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes")


class BodyLimit:
    """ASGI middleware: ``receive`` raises ``BodyTooLarge`` past ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if announced is not None and announced > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
