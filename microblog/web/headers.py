"""Security headers on every answer: what a browser may load, frame, sniff and send on."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts and styles come from /static only: no inline script, no eval (htmx is configured
# with allowEval false), no framing by anyone (the follow and delete buttons can't be
# clickjacked), forms post to this site only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS_SECONDS = 365 * 24 * 3600


def security_headers(hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries; HSTS only for a site served over HTTPS."""
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", f"max-age={HSTS_SECONDS}".encode()))
    return headers


class SecurityHeaders:
    """ASGI middleware adding ``security_headers`` to every HTTP response."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.headers = security_headers(hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A response that sets one of these itself keeps its own (the OAuth consent
                # page lets its form lead to the application's redirect URI: form-action).
                own = {bytes(name).lower() for name, _ in message.get("headers", ())}
                extra = [header for header in self.headers if header[0] not in own]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
