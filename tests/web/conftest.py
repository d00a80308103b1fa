"""Fixtures of the page tests: visitors, each with its own cookies, on the app in process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from microblog import passwords
from tests.web.helpers import Visitor, check_response

NewVisitor = Callable[[], Awaitable[Visitor]]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups and log-ins with argon2's cheapest settings (the default costs 0.2 s each);
    the pages under test do not care how hard the hash is."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
async def new_visitor(app: FastAPI) -> AsyncIterator[NewVisitor]:
    """Makes visitors (think: separate browsers) of the same app; every answer they get is
    checked for runtime traces and 5xx."""
    async with contextlib.AsyncExitStack() as runtime:

        async def make() -> Visitor:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://testserver",
                event_hooks={"response": [check_response]},
            )
            await runtime.enter_async_context(client)
            return Visitor(client)

        yield make


@pytest.fixture
async def visitor(new_visitor: NewVisitor) -> Visitor:
    """A visitor who is not logged in."""
    return await new_visitor()


@pytest.fixture
async def alice(new_visitor: NewVisitor) -> Visitor:
    """A visitor signed up (and so logged in) as alice."""
    someone = await new_visitor()
    await someone.sign_up("alice")
    return someone


@pytest.fixture
async def bob(new_visitor: NewVisitor) -> Visitor:
    """A visitor signed up (and so logged in) as bob."""
    someone = await new_visitor()
    await someone.sign_up("bob")
    return someone
