"""Every error a user can cause becomes a clear 4xx: JSON under /api and /oauth, HTML elsewhere."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microblog.domain.errors import MicroblogError

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    """API and OAuth paths answer JSON."""
    path = request.url.path
    return path.startswith("/api/") or path.startswith("/oauth/")


def error_response(request: Request, status: int, message: str) -> Response:
    """The error in the caller's format."""
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    from microblog.web.render import render_error

    return render_error(request, status, message)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return "; ".join(parts) or "Invalid request"


def install(app: FastAPI) -> None:
    """Register the handlers."""

    @app.exception_handler(MicroblogError)
    async def domain_error(request: Request, exc: MicroblogError) -> Response:
        response = error_response(request, exc.status, str(exc))
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "Nothing here: the page or record does not exist"
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def data_refused(request: Request, exc: Exception) -> Response:
        # A value that PostgreSQL refused (NUL in text, a number out of range), or that could
        # not be encoded for it (a lone surrogate), which no rule caught first: the client's
        # data, not the server's failure. Logged, so that the missing rule can be added
        # (``rules.storable`` refuses the known ones).
        log.warning("data refused on %s %s: %r", request.method, request.url.path, exc)
        return error_response(request, 422, DATA_REFUSED)

    app.add_exception_handler(psycopg.DataError, data_refused)
    app.add_exception_handler(UnicodeEncodeError, data_refused)

    app.add_middleware(ContainErrors)


DATA_REFUSED = "The request holds a value that can't be stored; check what was typed"


SERVER_ERROR = "Something went wrong on our side; please try again"


class ContainErrors:
    """ASGI middleware: an unexpected exception becomes a logged 500 answer, and goes no
    further.

    Starlette's outermost layer answers 500 too, but then raises the exception on to the
    server, and uvicorn closes the connection: the client's next request on that keep-alive
    connection met a reset. Added last, this sits just inside that layer and ends the
    exception here. Once an answer has started it cannot be replaced; then the exception goes
    on, and the connection closes (the client sees a cut answer, not a wrong one).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            if started:
                raise
            if wants_json(request):
                response: Response = JSONResponse({"error": SERVER_ERROR}, status_code=500)
            else:
                response = HTMLResponse(
                    f"<h1>Server error</h1><p>{SERVER_ERROR}</p>", status_code=500
                )
            await response(scope, receive, send)
