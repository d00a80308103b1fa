"""Jinja2 rendering of the HTML pages, with the session's user and CSRF token in every page."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from microblog.domain.rules import MAX_POST_CHARS
from microblog.web.deps import CSRF_FIELD, csrf_token

_templates: Jinja2Templates | None = None


def _ago(moment: datetime) -> str:
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "just now"


def templates() -> Jinja2Templates:
    """The template environment, built on first use (nothing happens at import time)."""
    global _templates
    if _templates is None:
        directory = resources.files("microblog.web") / "templates"
        _templates = Jinja2Templates(directory=str(directory))
        _templates.env.filters["ago"] = _ago
        _templates.env.globals["MAX_POST_CHARS"] = MAX_POST_CHARS
        _templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
    return _templates


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A template as a response; ``me`` and ``csrf`` are always available."""
    values: dict[str, Any] = {"me": None, "csrf": csrf_token(request)}
    values.update(context or {})
    return templates().TemplateResponse(request, name, values, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page (or, for htmx, a fragment shown in the page's error slot)."""
    if is_htmx(request):
        response = render(request, "_error.html", {"message": message}, status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", {"status": status, "message": message}, status)
