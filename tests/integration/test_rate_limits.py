"""Rate limits: log-ins, sign-ups, posts, requests per account and per address; 429 with
``Retry-After`` and ``X-RateLimit-*``; a message on the page forms; Redis (the test database
of MICROBLOG_TEST_REDIS_URL) and memory storage; failing open when Redis is away; and the
bound on concurrent password hashing, on a real server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import psutil
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from microblog.app import create_app
from microblog.settings import RATE_LIMITS, Settings
from microblog.web.ratelimit import wait_text
from tests.api.helpers import PASSWORD, auth
from tests.conftest import TEST_REDIS_URL, free_port, serving
from tests.web.helpers import Visitor, flash, textareas

ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.20"
MIB = 1024 * 1024


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[Settings]:
    """Settings with rate limits on (each limit off until a test sets it), keys under a
    prefix of this test's own; its keys are removed afterwards."""
    prefix = f"microblog-test-{uuid.uuid4().hex[:12]}"
    off = {f"rate_limit_{name}": "off" for name in RATE_LIMITS}
    yield settings.replace(rate_limits=True, rate_limit_key_prefix=prefix, **off)
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app on these settings with its lifespan running."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, address: str = ADDRESS) -> httpx.AsyncClient:
    """An in-process client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def register(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post("/api/v1/accounts", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def token_request(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    data = {"grant_type": "password", "username": username, "password": password}
    return await http.post("/oauth/token", data=data)


def assert_limited(response: httpx.Response, limit: int, window_seconds: int) -> None:
    """A 429 carrying every rate-limit header, consistent with the limit."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window_seconds
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    reset = datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    ahead = (reset - datetime.now(UTC)).total_seconds()
    assert 0 < ahead <= window_seconds + 1


def wait(response: httpx.Response) -> str:
    """The wait a 429's message names: its ``Retry-After`` in words."""
    return wait_text(int(response.headers["Retry-After"]))


# Log-ins ----------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["redis", "memory"])
async def test_login_limit_per_address_and_per_username(limited: Settings, storage: str) -> None:
    settings = limited.replace(rate_limit_login="3/minute", rate_limit_storage=storage)
    async with (
        started(settings) as app,
        client(app) as here,
        client(app, OTHER_ADDRESS) as there,
        client(app, "192.0.2.50") as elsewhere,
    ):
        await register(here, "ada")
        await register(here, "bob")
        for _ in range(3):
            assert (await token_request(here, "ada", "wrong password")).status_code == 422
        # The right password is refused too while the limit holds.
        refused = await token_request(here, "ada")
        assert_limited(refused, 3, 60)
        assert refused.json() == {
            "error": f"Too many log-in attempts; try again in {wait(refused)}"
        }
        # Per username (in any case) from another address, and per address for another name.
        assert_limited(await token_request(there, " ADA"), 3, 60)
        assert_limited(await token_request(here, "bob"), 3, 60)
        # Another address and another username pass.
        assert (await token_request(elsewhere, "bob")).status_code == 200


async def test_redis_keys_carry_the_prefix(limited: Settings) -> None:
    async with started(limited.replace(rate_limit_login="3/minute")) as app, client(app) as here:
        await token_request(here, "nobody")
    redis_client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        keys = [key async for key in redis_client.scan_iter(match="*nobody*")]
    finally:
        await redis_client.aclose()
    assert keys
    assert all(key.decode().startswith(f"{limited.rate_limit_key_prefix}:") for key in keys)


async def test_login_page_shows_the_limit_and_keeps_the_username(limited: Settings) -> None:
    async with started(limited.replace(rate_limit_login="2/minute")) as app, client(app) as http:
        await register(http, "ada")
        visitor = Visitor(http)
        for _ in range(2):
            response = await visitor.log_in("ada", "wrong password")
            assert response.status_code == 422
        response = await visitor.log_in("ada")  # the right one
        assert_limited(response, 2, 60)
        assert response.headers["content-type"].startswith("text/html")
        assert flash(response.text) == f"Too many log-in attempts; try again in {wait(response)}"
        assert 'name="username" value="ada"' in response.text
        assert await visitor.logged_in_as() is None


async def test_the_password_change_form_counts_as_log_in_attempts(limited: Settings) -> None:
    # A stolen session cookie must not turn the current-password field into an unlimited
    # guessing oracle.
    async with started(limited.replace(rate_limit_login="2/minute")) as app, client(app) as http:
        visitor = Visitor(http)
        await visitor.sign_up("ada")
        guess = {"current_password": "a wrong guess", "new_password": "a brand new passphrase"}
        for _ in range(2):
            assert (await visitor.post("/settings/password", guess)).status_code == 422
        right = {**guess, "current_password": PASSWORD}
        response = await visitor.post("/settings/password", right)
        assert_limited(response, 2, 60)
        assert flash(response.text) == f"Too many log-in attempts; try again in {wait(response)}"
    async with started(limited.replace(rate_limit_login="off")) as app, client(app) as http:
        assert (await token_request(http, "ada")).status_code == 200  # nothing was changed


# Sign-ups ---------------------------------------------------------------------------------


async def test_signup_limit_per_address_api_and_page(limited: Settings) -> None:
    settings = limited.replace(rate_limit_signup="2/30minutes")
    async with started(settings) as app, client(app) as here, client(app, OTHER_ADDRESS) as there:
        await register(here, "first")
        visitor = Visitor(here)
        await visitor.sign_up("second")  # the page form counts too
        response = await here.post(
            "/api/v1/accounts", data={"username": "third", "password": PASSWORD}
        )
        assert_limited(response, 2, 1800)
        assert response.json()["error"].startswith("Too many sign-ups from your address")
        page = await Visitor(here).post("/signup", {"username": "fourth", "password": PASSWORD})
        assert_limited(page, 2, 1800)
        assert flash(page.text).startswith("Too many sign-ups from your address; try again in")
        assert 'value="fourth"' in page.text
        await register(there, "third")  # another address signs up


# Posts ------------------------------------------------------------------------------------


async def test_posting_limit_per_account_api_and_page(limited: Settings) -> None:
    async with started(limited.replace(rate_limit_post="2/hour")) as app, client(app) as http:
        ada, bob = await register(http, "ada"), await register(http, "bob")
        for text in ("one", "two"):
            response = await http.post("/api/v1/statuses", data={"status": text}, headers=auth(ada))
            assert response.status_code == 200, response.text
        response = await http.post("/api/v1/statuses", data={"status": "3"}, headers=auth(ada))
        assert_limited(response, 2, 3600)
        message = f"You have posted too often; try again in {wait(response)}"
        assert response.json() == {"error": message}
        response = await http.post("/api/v1/statuses", data={"status": "hi"}, headers=auth(bob))
        assert response.status_code == 200  # another account still posts

        visitor = Visitor(http)
        await visitor.log_in("bob")
        assert (await visitor.post("/posts", {"content": "my second"})).status_code == 303
        page = await visitor.post("/posts", {"content": "my third"})  # without JavaScript
        assert_limited(page, 2, 3600)
        assert flash(page.text).startswith("You have posted too often; try again in")
        assert "my third" in textareas(page.text)
        fragment = await visitor.post("/posts", {"content": "again"}, htmx=True)
        assert_limited(fragment, 2, 3600)
        assert fragment.headers["HX-Retarget"] == "#flash"
        assert "You have posted too often" in fragment.text


# Requests ---------------------------------------------------------------------------------


async def test_requests_limit_per_account(limited: Settings) -> None:
    settings = limited.replace(rate_limit_account="3/minute", rate_limit_ip="50/minute")
    async with started(settings) as app, client(app) as http:
        ada, bob = await register(http, "ada"), await register(http, "bob")
        for _ in range(3):
            response = await http.get("/api/v1/accounts/verify_credentials", headers=auth(ada))
            assert response.status_code == 200
        response = await http.get("/api/v1/timelines/home", headers=auth(ada))
        assert_limited(response, 3, 60)
        assert response.json()["error"].startswith("Too many requests from your account")
        # Another account, and visitors, from the same address are not counted with ada.
        response = await http.get("/api/v1/accounts/verify_credentials", headers=auth(bob))
        assert response.status_code == 200
        assert (await http.get("/api/v1/instance")).status_code == 200

        # A logged-in browser counts by its account too.
        visitor = Visitor(http)
        await visitor.log_in("bob")
        for _ in range(2):  # with bob's API request above, 3
            await visitor.page("/")
        response = await visitor.get("/")
        assert_limited(response, 3, 60)
        assert "Too many requests from your account" in response.text


async def test_requests_limit_per_address_without_login(limited: Settings) -> None:
    settings = limited.replace(rate_limit_ip="3/minute")
    async with started(settings) as app, client(app) as here, client(app, OTHER_ADDRESS) as there:
        token = await register(there, "ada")
        for _ in range(2):
            assert (await here.get("/api/v1/instance")).status_code == 200
        assert (await here.get("/")).status_code == 200  # pages and API share the count
        response = await here.get("/api/v1/instance")
        assert_limited(response, 3, 60)
        page = await here.get("/", headers={"X-Forwarded-For": "192.0.2.1"})  # not believed
        assert_limited(page, 3, 60)
        assert "Too many requests from your address" in page.text
        assert "<h1>Slow down</h1>" in page.text
        # A bad token is no way around it; a good one counts per account instead.
        bogus = await here.get("/api/v1/instance", headers=auth("not-a-token"))
        assert_limited(bogus, 3, 60)
        assert (await here.get("/api/v1/instance", headers=auth(token))).status_code == 200
        assert (await there.get("/api/v1/instance")).status_code == 200


async def test_forwarded_for_counts_only_from_trusted_proxies(limited: Settings) -> None:
    settings = limited.replace(rate_limit_ip="2/minute", trusted_proxies="10.0.0.0/8")
    async with started(settings) as app, client(app, "10.1.2.3") as proxy:

        async def through(chain: str) -> int:
            response = await proxy.get("/api/v1/instance", headers={"X-Forwarded-For": chain})
            return response.status_code

        assert await through("198.51.100.1") == 200
        assert await through("198.51.100.1, 10.9.9.9") == 200  # a second proxy of ours
        # The client may write anything left of what our proxy appended: not believed.
        assert await through("192.0.2.99, 198.51.100.1") == 429
        assert await through("198.51.100.2") == 200


def test_serve_counts_across_processes_and_ignores_forwarded_for(limited: Settings) -> None:
    """``microblog serve`` with two worker processes: one count in Redis for both, and the
    client address is the peer even when it is loopback and sends X-Forwarded-For."""
    port = free_port()
    env = {
        **os.environ,
        "MICROBLOG_DATABASE_URL": limited.database_url,
        "MICROBLOG_REDIS_URL": limited.redis_url,
        "MICROBLOG_SECRET_KEY": "test-secret-key-0123456789",
        "MICROBLOG_RATE_LIMIT_KEY_PREFIX": limited.rate_limit_key_prefix,
        "MICROBLOG_RATE_LIMIT_IP": "6/minute",
    }
    command = [sys.executable, "-m", "microblog.cli", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--workers", "2"], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # static files are not counted: ask for one until both workers answer
            assert server.poll() is None, "the server exited"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/static/style.css", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        answers = []
        for i in range(8):  # a new connection each time: either process may take it
            headers = {"X-Forwarded-For": f"192.0.2.{i}", "Connection": "close"}
            answers.append(httpx.get(f"{url}/api/v1/instance", headers=headers))
        assert [a.status_code for a in answers] == [200] * 6 + [429] * 2
        # serve derived the public URL from its own --host and --port.
        assert answers[0].json()["uri"] == f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


# Switches and failures --------------------------------------------------------------------


async def test_off_switches_all_limits_and_off_one_limit(limited: Settings) -> None:
    tiny = {f"rate_limit_{name}": "1/minute" for name in RATE_LIMITS}
    async with started(limited.replace(rate_limits=False, **tiny)) as app, client(app) as http:
        token = await register(http, "ada")
        await register(http, "bob")
        for _ in range(3):
            assert (await token_request(http, "ada", "wrong")).status_code == 422
            home = await http.get("/api/v1/timelines/home", headers=auth(token))
            assert home.status_code == 200
    settings = limited.replace(rate_limit_ip="10/minute", rate_limit_login="off")
    async with started(settings) as app, client(app, OTHER_ADDRESS) as http:
        for _ in range(5):
            assert (await token_request(http, "ada", "wrong")).status_code == 422


async def test_an_unreachable_redis_fails_open_with_a_warning(
    limited: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: every Redis call fails at once.
    settings = limited.replace(redis_url="redis://127.0.0.1:1/0", rate_limit_login="1/minute")
    caplog.set_level(logging.WARNING, logger="microblog.web.ratelimit")
    async with started(settings) as app, client(app) as http:
        await register(http, "ada")
        started_at = time.monotonic()
        for _ in range(3):
            assert (await token_request(http, "ada", "wrong")).status_code == 422
        assert (await token_request(http, "ada")).status_code == 200
        assert time.monotonic() - started_at < 5
    warnings = [r for r in caplog.records if "rate limits not enforced" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert "ConnectionError" in warnings[0].getMessage()


# Bounded password hashing -----------------------------------------------------------------


class PeakMemory:
    """The highest resident memory of this process while the block runs (sampled each ms)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @contextlib.contextmanager
    def watching(self) -> Iterator[PeakMemory]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.before) / MIB


async def test_concurrent_logins_hash_a_bounded_number_at_once(settings: Settings) -> None:
    bound = 2
    port = free_port()
    app = create_app(
        settings.replace(
            public_url=f"http://127.0.0.1:{port}",
            password_hash_concurrency=bound,
            password_hash_wait_ms=1500,
        )
    )
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    with serving(app, port) as url:
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
            await token_request(http, "warm-up")  # the first hash's one-off allocations
            hashing = app.state.runtime.microblog.hashing
            hashing.most_running = 0
            with PeakMemory().watching() as memory:
                responses = await asyncio.gather(
                    *(token_request(http, f"ghost{i}") for i in range(120))
                )
    statuses = [r.status_code for r in responses]
    busy = [r for r in responses if r.status_code == 503]
    print(
        f"\n120 concurrent logins, bound {bound}: {statuses.count(422)} checked (422), "
        f"{len(busy)} busy (503); most hashes at once {hashing.most_running}; "
        f"RSS {memory.before / MIB:.0f} MiB before, peak +{memory.growth_mib:.0f} MiB"
    )
    assert set(statuses) <= {422, 503}, statuses
    assert hashing.most_running == bound  # reached, never exceeded
    assert statuses.count(422) >= bound
    for response in busy:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"].startswith("The server is busy")
    # 64 MiB per running hash, plus room for the requests themselves.
    assert memory.growth_mib < bound * 64 + 96
