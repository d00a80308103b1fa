"""Eight clients at once against a real server on loopback: no request answers 5xx.

Follow and follow back, unfollow, post, delete and read on three shared accounts, with the
in-process job worker fanning out beside them (fanout with the cache on). A deadlock that
PostgreSQL reports is run again inside the server and never reaches a client. Bounded: a
few seconds and a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from microblog.settings import Settings
from tests.api.helpers import auth, register

CLIENTS = 8
SECONDS = 4.0
MAX_REQUESTS = 400  # per client


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The served app: fanout, the cache on, a job worker in the server."""
    return settings.replace(feed_strategy="fanout", feed_cache="redis", run_worker=True)


async def one_client(
    base: str, tokens: list[tuple[str, str]], rng: random.Random, statuses: list[int]
) -> None:
    deadline = time.monotonic() + SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(MAX_REQUESTS):
            if time.monotonic() > deadline:
                return
            try:
                await one_request(http, tokens, rng, statuses)
            except httpx.TransportError:
                statuses.append(599)  # the server dropped the connection: as bad as a 500


async def one_request(
    http: httpx.AsyncClient, tokens: list[tuple[str, str]], rng: random.Random, statuses: list[int]
) -> None:
    """One random request of a busy client; its status goes to ``statuses``."""
    (token, me), (_, other) = rng.sample(tokens, 2)
    verb = rng.choice([*("follow", "unfollow") * 3, "post", "read", "delete"])
    if verb in ("follow", "unfollow"):
        url = f"/api/v1/accounts/{other}/{verb}"
        response = await http.post(url, headers=auth(token))
    elif verb == "post":
        data = {"status": "hello"}
        response = await http.post("/api/v1/statuses", data=data, headers=auth(token))
    elif verb == "delete":
        mine = await http.get("/api/v1/timelines/home", headers=auth(token))
        statuses.append(mine.status_code)
        own = [s["id"] for s in mine.json() if s["account"]["id"] == me][:1]
        if not own:
            return
        response = await http.delete(f"/api/v1/statuses/{own[0]}", headers=auth(token))
    else:
        response = await http.get("/api/v1/timelines/home", headers=auth(token))
    statuses.append(response.status_code)


async def test_eight_clients_at_once_get_no_server_error(live_server: str) -> None:
    assert live_server.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        tokens = [await register(http, f"busy{i}") for i in range(3)]
    statuses: list[int] = []
    await asyncio.gather(
        *(one_client(live_server, tokens, random.Random(i), statuses) for i in range(CLIENTS))
    )
    assert len(statuses) > 100
    assert not [s for s in statuses if s >= 500], sorted(set(statuses))
