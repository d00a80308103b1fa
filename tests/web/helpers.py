"""A cookie-keeping visitor of the HTML pages, and small readers of the HTML they get back."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
ARTICLE = re.compile(r'<article class="post[^"]*" id="post-(\d+)">(.*?)</article>', re.S)
CONTENT = re.compile(r'<p class="content">(.*?)</p>', re.S)
FLASH = re.compile(r'<div id="flash"[^>]*>(.*?)</div>', re.S)
MORE = re.compile(r'<a id="more" class="more button" href="([^"]+)" hx-get="([^"]+)"')
TEXTAREA = re.compile(r"<textarea[^>]*>(.*?)</textarea>", re.S)
BODY_HEADERS = re.compile(r"<body hx-headers='([^']*)'>")
CSRF_MESSAGE = "The form expired or came from another site"


def csrf_in(page: str) -> str | None:
    """The CSRF token a page carries: in its forms, and for htmx in ``<body hx-headers>``."""
    found = CSRF_INPUT.search(page)
    if found is not None:
        return found.group(1)
    body = BODY_HEADERS.search(page)
    return json.loads(html.unescape(body.group(1)))["X-CSRF-Token"] if body else None


def post_ids(page: str) -> list[int]:
    """Ids of the posts rendered in a page or fragment, in order."""
    return [int(m.group(1)) for m in ARTICLE.finditer(page)]


def contents(page: str) -> list[str]:
    """Texts of the posts rendered in a page or fragment (unescaped), in order."""
    texts = []
    for match in ARTICLE.finditer(page):
        inner = CONTENT.search(match.group(2))
        assert inner is not None, match.group(0)
        texts.append(html.unescape(inner.group(1)))
    return texts


def article(page: str, post_id: int) -> str:
    """The HTML of one rendered post."""
    for match in ARTICLE.finditer(page):
        if int(match.group(1)) == post_id:
            return match.group(0)
    raise AssertionError(f"post {post_id} is not in the page")


def flash(page: str) -> str:
    """The text of the page's message slot (#flash), tags removed."""
    found = FLASH.search(page)
    assert found is not None, "no #flash slot in the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def more_url(page: str) -> str | None:
    """The "Load more" link of a feed (its href and hx-get agree)."""
    found = MORE.search(page)
    if found is None:
        return None
    href, hx_get = (html.unescape(g) for g in found.groups())
    assert href == hx_get
    return href


def textareas(page: str) -> list[str]:
    """The (unescaped) initial text of every textarea of a page."""
    return [html.unescape(m.group(1)) for m in TEXTAREA.finditer(page)]


def visible_text(page: str) -> str:
    """The page's text without tags, scripts or collapsed whitespace (roughly what one reads)."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text).strip()


def is_full_page(page: str) -> bool:
    """True for a whole document, False for an htmx fragment."""
    return "<html" in page or "<!doctype" in page.lower()


async def check_response(response: httpx.Response) -> None:
    """No page ever shows a runtime trace or a server error."""
    await response.aread()
    assert "Traceback" not in response.text, response.text
    assert response.status_code < 500, response.text


@dataclass
class Visitor:
    """One browser's worth of cookies, talking to the app in process.

    ``csrf`` is the token of the current session, read from the last page that had a form;
    ``post`` fills it in the way the forms (hidden field) or htmx (header) would.
    """

    http: httpx.AsyncClient
    csrf: str | None = None
    username: str | None = None

    async def get(self, url: str, *, htmx: bool = False, **kwargs: Any) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        response = await self.http.get(url, headers=headers, **kwargs)
        self._remember(response)
        return response

    async def page(self, url: str) -> str:
        """A page that must be there (200)."""
        response = await self.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith("text/html")
        return response.text

    async def token(self) -> str:
        """This session's CSRF token (reads a page to learn it when needed)."""
        if self.csrf is None:
            await self.page("/")
        assert self.csrf is not None
        return self.csrf

    async def post(
        self,
        url: str,
        data: dict[str, str] | None = None,
        *,
        htmx: bool = False,
        csrf: str | Literal[True] | None = True,
    ) -> httpx.Response:
        """Submit a form. ``csrf``: True for the session's token, None for none, or a string
        to send instead. With ``htmx`` the token goes in the header, as htmx sends it."""
        data = dict(data or {})
        headers: dict[str, str] = {}
        token = await self.token() if csrf is True else csrf
        if htmx:
            headers["HX-Request"] = "true"
            if token is not None:
                headers["X-CSRF-Token"] = token
        elif token is not None:
            data["csrf_token"] = token
        response = await self.http.post(url, data=data, headers=headers)
        self._remember(response)
        return response

    def _remember(self, response: httpx.Response) -> None:
        if response.headers.get("content-type", "").startswith("text/html"):
            found = csrf_in(response.text)
            if found is not None:
                self.csrf = found

    # Accounts ---------------------------------------------------------------------------

    async def sign_up(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/signup", {"username": username, "password": password})
        assert response.status_code == 303, response.text
        self.username = username
        self.csrf = None  # signing up logs in: a new session, with a new token
        return response

    async def log_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/login", {"username": username, "password": password})
        if response.status_code == 303:
            self.username = username
            self.csrf = None  # logging in starts a new session, with a new token
        return response

    async def log_out(self) -> httpx.Response:
        response = await self.post("/logout")
        if response.status_code == 303:
            self.username = None
            self.csrf = None
        return response

    async def logged_in_as(self) -> str | None:
        """Whom the pages say is logged in (the @name link in the top bar), if anyone."""
        page = await self.page("/")
        found = re.search(r'<nav>\s*<a href="/@(\w+)">@\1</a>', page)
        if found is None:
            assert 'href="/login"' in page
            return None
        assert "Log out" in page
        return found.group(1)

    # Posts and follows ---------------------------------------------------------------------

    async def compose(self, text: str, parent_id: int | None = None) -> int:
        """Publish through the form (htmx, to learn the new post's id); the post id."""
        data = {"content": text}
        if parent_id is not None:
            data["parent_id"] = str(parent_id)
        response = await self.post("/posts", data, htmx=True)
        assert response.status_code == 200, response.text
        (post_id,) = post_ids(response.text)
        return post_id

    async def follow(self, username: str) -> None:
        response = await self.post(f"/@{username}/follow")
        assert response.status_code == 303, response.text
