"""Every error a user can cause becomes a clear 4xx: JSON under /api and /oauth, HTML elsewhere."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

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
        return error_response(request, exc.status, str(exc))

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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "Something went wrong on our side; please try again"
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=500)
        return HTMLResponse(f"<h1>Server error</h1><p>{message}</p>", status_code=500)
