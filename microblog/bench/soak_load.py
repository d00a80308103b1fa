"""The soak's load: virtual users on loopback until a deadline, every request recorded.

Each virtual user is a seeded account with one connection of its own (so the connections
are bounded by the number of users) and a browser session; it does one action after
another without pausing, picked at random with the weights of ``MIX``: reading its home
timeline through the API and going down older pages by the ``Link`` cursor, the public
timeline, the HTML home page and its "Load more", posting and replying, following and
unfollowing, and logging in and out again. Every request's outcome (its status code, or the
name of the connection error) and latency are recorded with the time it ended.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from microblog.web.deps import CSRF_FIELD

PASSWORD = "password123"  # every seeded user's (microblog seed's default)
TIMEOUT_SECONDS = 10.0
GRACE_SECONDS = 60.0  # after the deadline, for the last actions to finish
RAMP_SECONDS = 5.0  # the users start one after another over this (or a tenth of the run)
MORE_PAGES = 3  # older pages a reader goes down at most after the first
# What a virtual user does next, and how often (relative weights).
MIX: dict[str, float] = {
    "home": 40.0,  # the API home timeline, then older pages half the time
    "public": 10.0,  # the API public timeline
    "html": 15.0,  # the HTML home page, and "Load more" three times in ten
    "post": 6.0,  # a post; one in five answers a post of the home timeline
    "follow": 3.0,  # follow someone, or unfollow someone followed before
    "login": 0.4,  # log in and out again, with the API's password grant or the HTML form
}
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_NEWEST = re.compile(r'[?&]min_id=(\d+)>;\s*rel="prev"')
_CSRF = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
_MORE = re.compile(r'id="more"[^>]*\shref="([^"]+)"')
_LOGGED_IN = 'action="/logout"'  # on every page of a logged-in user


@dataclass(frozen=True)
class Account:
    """A seeded user the load plays, with a bearer token issued beforehand."""

    id: int
    username: str
    token: str


@dataclass
class Recorder:
    """Every finished request: (seconds since the start when it ended, kind, outcome,
    latency in ms). The outcome is the status code, or what went wrong instead."""

    started: float = field(default_factory=time.perf_counter)
    rows: list[tuple[float, str, str, float]] = field(default_factory=list)

    def add(self, kind: str, outcome: str, began: float) -> None:
        """Record a request that began at ``began`` (``time.perf_counter``) and ended now."""
        ended = time.perf_counter()
        self.rows.append((ended - self.started, kind, outcome, (ended - began) * 1000))


def is_error(outcome: str) -> bool:
    """Anything but a 2xx or 3xx status."""
    return not (outcome.isdigit() and int(outcome) < 400)


class VirtualUser:
    """One account on one connection, doing one action after another."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        account: Account,
        targets: list[int],
        recorder: Recorder,
        rng: random.Random,
    ) -> None:
        self.client = client
        self.account = account
        self.targets = [t for t in targets if t != account.id]
        self.recorder = recorder
        self.rng = rng
        self.api = {"Authorization": f"Bearer {account.token}"}
        self.followed: list[int] = []  # followed by this run, to unfollow later
        self.newest: int | None = None  # the newest post of the last home page read
        self.logged_in = False  # whether the last log-in through the form succeeded
        self.posts = 0
        self.actions: dict[str, Callable[[], Awaitable[None]]] = {
            "home": self.home,
            "public": self.public,
            "html": self.html_home,
            "post": self.post,
            "follow": self.follow,
            "login": self.login,
        }

    async def send(
        self, kind: str, method: str, url: str, logged_in: bool = False, **kwargs: Any
    ) -> httpx.Response | None:
        """One request, recorded; the response unless it failed (or, with ``logged_in``, is
        a page for a visitor: the session was lost)."""
        began = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.recorder.add(kind, type(exc).__name__, began)
            await asyncio.sleep(0.1)  # a server that is down is not hammered in a tight loop
            return None
        outcome = str(response.status_code)
        if response.status_code < 400 and logged_in and _LOGGED_IN not in response.text:
            outcome = f"{outcome}, logged out"
        self.recorder.add(kind, outcome, began)
        return response if outcome.isdigit() and response.status_code < 400 else None

    async def run(self, deadline: float) -> None:
        """Log in through the HTML form, then act until the deadline."""
        await self.login_form()
        names, weights = list(MIX), list(MIX.values())
        while time.perf_counter() < deadline:
            await self.actions[self.rng.choices(names, weights)[0]]()

    async def home(self) -> None:
        """The home timeline's first page, then older ones by the ``Link`` cursor."""
        path = "/api/v1/timelines/home"
        response = await self.send("home timeline (API)", "GET", path, headers=self.api)
        if response is not None and (newest := _NEWEST.search(response.headers.get("link", ""))):
            self.newest = int(newest.group(1))
        for _ in range(MORE_PAGES):
            if response is None or self.rng.random() >= 0.5:
                return
            older = _NEXT.search(response.headers.get("link", ""))
            if older is None:
                return
            kind = "home timeline, older page (API)"
            response = await self.send(kind, "GET", _local(older.group(1)), headers=self.api)

    async def public(self) -> None:
        """The public timeline's first page."""
        await self.send("public timeline (API)", "GET", "/api/v1/timelines/public")

    async def html_home(self) -> None:
        """The HTML home page of the logged-in user, and sometimes its next posts (htmx)."""
        if not self.logged_in:  # the last log-in failed (and was counted): try again
            await self.login_form()
            return
        response = await self.send("home page (HTML)", "GET", "/", logged_in=True)
        if response is None:
            self.logged_in = False
            return
        more = _MORE.search(response.text)
        if more is not None and self.rng.random() < 0.3:
            url = _local(html.unescape(more.group(1)))
            await self.send("load more (HTML)", "GET", url, headers={"HX-Request": "true"})

    async def post(self) -> None:
        """A new post, or a reply to the newest post of the home timeline."""
        self.posts += 1
        data = {"status": f"soak post {self.posts} by {self.account.username}"}
        kind = "post (API)"
        if self.newest is not None and self.rng.random() < 0.2:
            data["in_reply_to_id"] = str(self.newest)
            kind = "reply (API)"
        await self.send(kind, "POST", "/api/v1/statuses", headers=self.api, data=data)

    async def follow(self) -> None:
        """Follow an author, or unfollow one this user followed before (at most five)."""
        if self.followed and (len(self.followed) >= 5 or self.rng.random() < 0.5):
            target = self.followed.pop(self.rng.randrange(len(self.followed)))
            path = f"/api/v1/accounts/{target}/unfollow"
            await self.send("unfollow (API)", "POST", path, headers=self.api)
            return
        target = self.rng.choice(self.targets)
        path = f"/api/v1/accounts/{target}/follow"
        if await self.send("follow (API)", "POST", path, headers=self.api) is not None:
            self.followed.append(target)

    async def login(self) -> None:
        """Log in and out with the API's password grant, or log in again with the form."""
        if self.rng.random() < 0.5:
            await self.login_form()
            return
        form = {"grant_type": "password", "username": self.account.username, "password": PASSWORD}
        response = await self.send("log in (API password grant)", "POST", "/oauth/token", data=form)
        token = response.json().get("access_token") if response is not None else None
        if isinstance(token, str):
            await self.send("log out (API revoke)", "POST", "/oauth/revoke", data={"token": token})

    async def login_form(self) -> None:
        """The HTML log-in form, then its post (with the form's CSRF token)."""
        response = await self.send("log-in form (HTML)", "GET", "/login")
        found = _CSRF.search(response.text) if response is not None else None
        if found is None:
            return
        data = {"username": self.account.username, "password": PASSWORD, CSRF_FIELD: found[1]}
        self.logged_in = (
            await self.send("log in (HTML form)", "POST", "/login", data=data) is not None
        )


def _local(link: str) -> str:
    """The path and query of a link: the next request goes to the same loopback server,
    whatever host the server writes into its links."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def drive(
    url: str,
    accounts: list[Account],
    targets: list[int],
    recorder: Recorder,
    seconds: float,
    seed: int = 1,
) -> int:
    """Run one virtual user per account against ``url`` (loopback only) for ``seconds`` from
    the recorder's start, recording into it.

    The users start evenly over the first ``RAMP_SECONDS`` (a tenth of a shorter run), as
    people arrive, rather than all logging in at the same instant. Returns how many users
    were still busy ``GRACE_SECONDS`` after the deadline (stopped then).
    """
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the soak only drives servers on 127.0.0.1")
    deadline = recorder.started + seconds
    step = min(RAMP_SECONDS, seconds / 10) / len(accounts) if accounts else 0.0

    async def one(i: int, account: Account) -> None:
        await asyncio.sleep(i * step)
        async with httpx.AsyncClient(
            base_url=url, timeout=TIMEOUT_SECONDS, limits=httpx.Limits(max_connections=1)
        ) as client:
            user = VirtualUser(client, account, targets, recorder, random.Random(seed * 1000 + i))
            await user.run(deadline)

    tasks = [asyncio.create_task(one(i, a)) for i, a in enumerate(accounts)]
    left = deadline + GRACE_SECONDS - time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=max(left, 0.0))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the load itself surfaces, rather than a quiet short run
    return len(pending)
