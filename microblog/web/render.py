"""Jinja2 rendering of the HTML pages, with the session's user and CSRF token in every page."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from microblog.domain.models import Post, Visibility
from microblog.domain.rules import MAX_DISPLAY_NAME_CHARS, MAX_POST_CHARS, MAX_SPOILER_CHARS
from microblog.web.deps import CSRF_FIELD, csrf_token
from microblog.web.mastodon import mention_links

_templates: Jinja2Templates | None = None

# What the compose box offers and each post says of itself (nothing for public).
VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Public",
    Visibility.UNLISTED: "Unlisted",
    Visibility.PRIVATE: "Followers only",
    Visibility.DIRECT: "Mentioned people only",
}


def _ago(moment: datetime) -> str:
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "just now"


def _text(post: Post) -> Markup:
    """A post's text as HTML: escaped, line breaks kept, mentions linked to profiles and
    hashtags to their pages (``/tags/name``)."""
    return Markup(mention_links(post.content, post.mentions, "", post.tags))


def local_path(target: str) -> str:
    """A path on this site to go back to (never another site); "/" otherwise."""
    unsafe = "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target)
    if target.startswith("/") and not target.startswith("//") and not unsafe:
        return target
    return "/"


def here(request: Request) -> str:
    """The page the reader is on: this request's, or for htmx the page it was made from
    (what a form's ``next`` sends the reader back to). A page answering a form post is at
    no address of its own: the home page, unless the handler says where."""
    if is_htmx(request):
        url = request.headers.get("hx-current-url", "/")
    elif request.method in ("GET", "HEAD"):
        url = str(request.url)
    else:
        return "/"
    parts = urlsplit(url)
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def templates() -> Jinja2Templates:
    """The template environment, built on first use (nothing happens at import time)."""
    global _templates
    if _templates is None:
        directory = resources.files("microblog.web") / "templates"
        _templates = Jinja2Templates(directory=str(directory))
        _templates.env.filters["ago"] = _ago
        _templates.env.filters["text"] = _text
        _templates.env.globals["VISIBILITY_LABELS"] = VISIBILITY_LABELS
        _templates.env.globals["MAX_POST_CHARS"] = MAX_POST_CHARS
        _templates.env.globals["MAX_SPOILER_CHARS"] = MAX_SPOILER_CHARS
        _templates.env.globals["MAX_DISPLAY_NAME_CHARS"] = MAX_DISPLAY_NAME_CHARS
        _templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
    return _templates


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A template as a response; ``me``, ``csrf`` and ``here`` are always available."""
    values: dict[str, Any] = {"me": None, "csrf": csrf_token(request), "here": here(request)}
    values.update(context or {})
    return templates().TemplateResponse(request, name, values, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page (or, for htmx, a fragment shown in the page's error slot)."""
    if is_htmx(request):
        response = render(request, "_error.html", {"message": message}, status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    # The logged-in user, when the endpoint had looked them up before the error.
    me = getattr(request.state, "page_user", None)
    return render(request, "error.html", {"status": status, "message": message, "me": me}, status)
