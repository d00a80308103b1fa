"""Tokens and sessions remembered per process (``microblog/credentials.py``): a lookup
that was answered once needs no database round trip, and every revocation reaches every
process at once, over either live bus.

Two runtimes on one database and one Redis are two server processes: ``a`` revokes, ``b``
had the grant remembered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from psycopg import sql

from microblog import credentials
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings
from microblog.store.bus import RedisBus, listener_name

PASSWORD = "correct horse battery"
WAIT_SECONDS = 5.0


async def eventually(check: Callable[[], Awaitable[bool]]) -> bool:
    """Whether ``check`` comes true within a few seconds (a message crossing the bus)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def listening(runtime: Runtime) -> None:
    """Start the runtime's listener (the first lookup does) and wait until it listens."""
    await runtime.microblog.token_access("no such token")
    assert await eventually(lambda: _true(runtime.microblog.credentials.listening))


async def _true(value: bool) -> bool:
    return value


@pytest.fixture(params=["redis", "postgres"])
async def pair(
    settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    chosen = settings.replace(live_bus=request.param)
    async with open_runtime(chosen, pool_max=2) as a, open_runtime(chosen, pool_max=2) as b:
        await listening(a)
        await listening(b)
        yield a, b


async def drop_behind_its_back(runtime: Runtime, table: str) -> None:
    """Delete every row of ``table`` without saying so: only the cache can still answer."""
    async with runtime.pool.connection() as conn:
        await conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))


async def test_a_known_token_is_answered_without_the_database(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    ann = await a.microblog.sign_up("ann", PASSWORD)
    token = (await a.microblog.issue_token(ann.id, "read")).access_token
    first = await b.microblog.token_access(token)
    assert first is not None and first.user is not None and first.user.id == ann.id
    await drop_behind_its_back(b, "api_tokens")
    again = await b.microblog.token_access(token)
    assert again == first  # remembered: the row is gone, the answer is not
    assert await a.microblog.token_access(token) is None  # a never looked: it reads


async def test_without_the_cache_every_lookup_reads(settings: Settings) -> None:
    async with open_runtime(settings.replace(credentials_cache_seconds=0), pool_max=2) as rt:
        ann = await rt.microblog.sign_up("ann", PASSWORD)
        token = (await rt.microblog.issue_token(ann.id, "read")).access_token
        assert await rt.microblog.token_access(token) is not None
        await drop_behind_its_back(rt, "api_tokens")
        assert await rt.microblog.token_access(token) is None


async def test_a_revoked_token_stops_working_in_every_process(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    ann = await a.microblog.sign_up("ann", PASSWORD)
    token = (await a.microblog.issue_token(ann.id, "read")).access_token
    other = (await a.microblog.issue_token(ann.id, "read")).access_token
    assert await b.microblog.token_access(token) is not None
    assert await b.microblog.token_access(other) is not None
    assert await a.microblog.revoke_token(token)
    assert await eventually(lambda: _gone(b, token))
    assert await b.microblog.token_access(other) is not None  # only the one named


async def _gone(runtime: Runtime, token: str) -> bool:
    return await runtime.microblog.token_access(token) is None


async def _session_gone(runtime: Runtime, session_id: str) -> bool:
    return await runtime.microblog.session_user(session_id) is None


@pytest.mark.parametrize("how", ["password", "account", "app"])
async def test_every_way_to_end_an_accounts_tokens_reaches_every_process(
    pair: tuple[Runtime, Runtime], how: str
) -> None:
    a, b = pair
    ann = await a.microblog.sign_up("ann", PASSWORD)
    app, _ = await a.microblog.register_app("client", "", "urn:ietf:wg:oauth:2.0:oob", "read")
    token = (await a.microblog.issue_token(ann.id, "read", app_id=app.id)).access_token
    session = await a.microblog.start_session(ann.id, 3600)
    assert await b.microblog.token_access(token) is not None
    assert await b.microblog.session_user(session) is not None
    if how == "password":
        await a.microblog.change_password(ann.id, PASSWORD, "another horse battery")
    elif how == "account":
        await a.microblog.remove_account(ann.id)
    else:
        assert await a.microblog.revoke_app(ann.id, app.id) == 1
    assert await eventually(lambda: _gone(b, token))
    if how != "app":  # an application's revocation leaves the browser logged in
        assert await eventually(lambda: _session_gone(b, session))
    else:
        assert await b.microblog.session_user(session) is not None


async def test_logging_out_reaches_every_process(pair: tuple[Runtime, Runtime]) -> None:
    a, b = pair
    ann = await a.microblog.sign_up("ann", PASSWORD)
    here = await a.microblog.start_session(ann.id, 3600)
    there = await a.microblog.start_session(ann.id, 3600)
    assert await b.microblog.session_user(here) is not None
    assert await b.microblog.session_user(there) is not None
    await a.microblog.end_session(here)
    assert await eventually(lambda: _session_gone(b, here))
    assert await b.microblog.session_user(there) is not None
    assert await a.microblog.end_all_sessions(ann.id) == 1
    assert await eventually(lambda: _session_gone(b, there))


async def test_a_profile_edit_reaches_the_remembered_caller(
    pair: tuple[Runtime, Runtime],
) -> None:
    a, b = pair
    ann = await a.microblog.sign_up("ann", PASSWORD)
    token = (await a.microblog.issue_token(ann.id, "read")).access_token
    assert await b.microblog.token_access(token) is not None
    await a.microblog.update_profile(ann.id, display_name="Ann the Second")

    async def renamed() -> bool:
        access = await b.microblog.token_access(token)
        return (
            access is not None
            and access.user is not None
            and (access.user.display_name == "Ann the Second")
        )

    assert await eventually(renamed)


async def test_a_session_is_not_remembered_past_its_end(runtime: Runtime) -> None:
    await listening(runtime)
    ann = await runtime.microblog.sign_up("ann", PASSWORD)
    session = await runtime.microblog.start_session(ann.id, 1)
    assert await runtime.microblog.session_user(session) is not None
    await asyncio.sleep(1.2)
    assert await runtime.microblog.session_user(session) is None


async def test_an_answer_read_before_a_revocation_is_not_remembered(runtime: Runtime) -> None:
    """The race: a lookup reads the grant, the revocation's message comes, then the lookup
    would store what it read. The epoch it read under has moved: it stores nothing."""
    await listening(runtime)
    remembered = runtime.microblog.credentials
    key = ("token", b"x" * 32)
    epoch = remembered.epoch
    remembered.apply(credentials.token_ended(b"y" * 32))  # any message, during the read
    remembered.put(key, "grant", 1, epoch)
    assert remembered.get(key) is None
    remembered.put(key, "grant", 1, remembered.epoch)
    assert remembered.get(key) == "grant"


async def test_nothing_is_remembered_across_a_broken_subscription(runtime: Runtime) -> None:
    """Messages said while the listener was away are lost: when its connection breaks, it
    forgets everything, and remembers again only once it has subscribed anew."""
    await listening(runtime)
    ann = await runtime.microblog.sign_up("ann", PASSWORD)
    token = (await runtime.microblog.issue_token(ann.id, "read")).access_token
    assert await runtime.microblog.token_access(token) is not None
    await drop_behind_its_back(runtime, "api_tokens")
    assert await runtime.microblog.token_access(token) is not None  # remembered
    bus = runtime.microblog.credentials.bus
    assert isinstance(bus, RedisBus)
    client = aioredis.Redis.from_url(runtime.settings.redis_url)
    try:
        listeners = [
            c for c in await client.client_list() if c.get("name") == listener_name(bus.channel)
        ]
        assert len(listeners) == 1
        await client.client_kill_filter(_id=listeners[0]["id"])
    finally:
        await client.aclose()
    assert await eventually(lambda: _gone(runtime, token))
    assert await eventually(lambda: _true(runtime.microblog.credentials.listening))
