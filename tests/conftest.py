"""Shared fixtures: a fresh PostgreSQL database per test run, emptied before each test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg.rows import dict_row

from microblog import feeds
from microblog.app import create_app
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings
from microblog.store import migrate
from tests.strategies.scan import ScanStrategy

# A strategy written only for the tests, registered as a plugin would be: every test that
# walks the installed strategies (equal pages, feeds verify, state ownership) covers it too.
feeds.register(ScanStrategy)

ADMIN_URL = os.environ.get(
    "MICROBLOG_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# The core tables; every feed strategy empties its own state (``forget``).
TABLES = (
    "users, posts, follows, api_tokens, oauth_apps, sessions, feed_outbox, "
    "procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers"
)


class NoJobs:
    """A ``FeedJobs`` for code that must queue nothing: each job is a failure."""

    async def posts_published(self, conn: object, post_ids: object, hold: bool = False) -> None:
        raise AssertionError("a fan-out was queued")

    async def post_deleted(self, conn: object, post_id: int, author_id: int) -> None:
        raise AssertionError("a removal was queued")

    async def build_feed(self, conn: object, strategy: str, reader_id: int) -> None:
        raise AssertionError("a feed build was queued")

    async def account_deleted(self, conn: object, user_id: int) -> None:
        raise AssertionError("an account removal was queued")


def _db_url(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A new, migrated database for this test run, dropped afterwards."""
    name = f"microblog_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is ours, not input
    url = _db_url(name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(database_url: str) -> None:
    """Empty the core tables, and let every strategy forget its state.

    Synchronous, on an event loop of its own in a thread: fixtures of sync tests call it
    while Playwright's loop runs in the main thread.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _truncate_all(database_url)).result()


async def _truncate_all(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
        for name in feeds.available():
            await feeds.load(name, settings, NoJobs()).forget(conn, None)


@pytest.fixture
def empty_db() -> Iterator[str]:
    """A new database, never migrated, dropped afterwards."""
    name = f"microblog_emptytest_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is ours, not input
    try:
        yield _db_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clean_db(database_url: str) -> str:
    """The test database with every table emptied (cheap isolation between tests)."""
    truncate_all(database_url)
    return database_url


def _worker_redis(url: str) -> str:
    """Under pytest-xdist, worker gwN takes the database N above the given one: workers
    share no cache keys, rate-limit counters or recent readers (each also has a PostgreSQL
    database of its own, ``database_url``, whose ids start again at 1)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + int(worker.removeprefix('gw'))}"


# A Redis database of the tests' own: a dev server or a benchmark (database 0) may be running.
# Two suites run at once on one machine each need their own (MICROBLOG_TEST_REDIS_URL).
TEST_REDIS_URL = _worker_redis(
    os.environ.get("MICROBLOG_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
)


@pytest.fixture
def settings(clean_db: str) -> Settings:
    """Settings for an app on the clean test database."""
    return Settings(
        database_url=clean_db,
        redis_url=TEST_REDIS_URL,
        secret_key="test-secret-key-0123456789",
        public_url="http://testserver",
        db_pool_min=1,
        db_pool_max=4,
        # Off here: the tests call from one address, fast. tests/integration/
        # test_rate_limits.py turns them on with limits of its own.
        rate_limits=False,
    )


async def flush_cache(runtime: Runtime) -> None:
    """Forget every cached page (Redis outlives the databases of earlier runs), with the
    cache off too: a test that looks for keys must not find an earlier test's."""
    if runtime.engine.cache is not None:
        await runtime.engine.cache.clear()
        return
    async for key in runtime.redis.scan_iter(match="mb:feed:*", count=1000):
        await runtime.redis.unlink(key)


def open_test_runtime(settings: Settings) -> contextlib.AbstractAsyncContextManager[Runtime]:
    """The runtime for the settings, with a small pool."""
    return open_runtime(settings, pool_max=4)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The service runtime on the clean test database."""
    async with open_test_runtime(settings) as opened:
        yield opened


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (pool, Redis client and queue open)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(app: FastAPI, port: int) -> Iterator[str]:
    """The app served by a real uvicorn on a loopback port, in a thread; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by a real uvicorn on a free loopback port; its base URL."""
    port = free_port()
    with serving(create_app(settings.replace(public_url=f"http://127.0.0.1:{port}")), port) as url:
        yield url
