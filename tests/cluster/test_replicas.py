"""Reads on a streaming replica, with read-your-writes by WAL position, through PgBouncer.

The replica's replay is paused to make its lag as long as a test needs: what a reader then
sees tells which server answered. A reader who wrote is served by the primary until a
replica has replayed their write; everyone else by the replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from microblog.app import create_app
from microblog.settings import Settings
from microblog.store.replicas import Reads
from tests.api.helpers import auth, follow, post, register
from tests.cluster.pg_topology import PgTopology

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


@contextlib.asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app on the settings, its lifespan running, and a client calling it in process."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield application, c


def reads_of(application: FastAPI) -> Reads:
    reads: Reads = application.state.runtime.microblog.reads
    return reads


async def texts(client: httpx.AsyncClient, path: str, token: str | None = None) -> list[str]:
    """The contents of the statuses a timeline path answers."""
    headers = auth(token) if token else {}
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    statuses: list[dict[str, Any]] = response.json()
    return [s["content"] for s in statuses]


async def test_readers_are_served_by_the_replica_and_writers_see_their_writes(
    topology: PgTopology,
) -> None:
    async with app_client(topology.settings()) as (application, client):
        assert reads_of(application).replicas[0].usable
        alice, alice_id = await register(client, "alice")
        bob, _ = await register(client, "bob")
        carol, carol_id = await register(client, "carol")
        await follow(client, bob, alice_id)
        await post(client, carol, "carol was here")
        topology.replayed()
        topology.pause_replay()
        # The monitor sees the replica past Bob's and Carol's writes (it checks twice a
        # second; here at once).
        await reads_of(application).check()

        await post(client, alice, "hello from alice")
        await follow(client, alice, carol_id)
        # Alice wrote: her reads go to the primary until a replica has her writes.
        assert "<p>hello from alice</p>" in await texts(
            client, f"/api/v1/accounts/{alice_id}/statuses", alice
        )
        home = await texts(client, "/api/v1/timelines/home", alice)
        assert home[:2] == ["<p>hello from alice</p>", "<p>carol was here</p>"]
        following = await client.get(f"/api/v1/accounts/{alice_id}/following", headers=auth(alice))
        assert [a["username"] for a in following.json()] == ["carol"]
        # Nobody else wrote: the paused replica answers them, without Alice's post.
        assert "<p>hello from alice</p>" not in await texts(client, "/api/v1/timelines/public")
        assert "<p>hello from alice</p>" not in await texts(client, "/api/v1/timelines/home", bob)
        followers = await client.get(f"/api/v1/accounts/{carol_id}/followers")
        assert followers.json() == []

        topology.resume_replay()
        topology.replayed()
        await reads_of(application).check()
        assert "<p>hello from alice</p>" in await texts(client, "/api/v1/timelines/public")
        assert "<p>hello from alice</p>" in await texts(client, "/api/v1/timelines/home", bob)


async def test_a_write_request_answers_with_its_own_write(topology: PgTopology) -> None:
    """The answer of a write is read on the primary (a favourite shows as favourited)."""
    async with app_client(topology.settings()) as (_, client):
        alice, _ = await register(client, "alice")
        status = await post(client, alice, "like me")
        topology.replayed()
        topology.pause_replay()
        response = await client.post(
            f"/api/v1/statuses/{status['id']}/favourite", headers=auth(alice)
        )
        assert response.status_code == 200, response.text
        assert response.json()["favourited"] is True
        assert response.json()["favourites_count"] == 1


async def test_push_strategies_read_home_feeds_on_the_primary(topology: PgTopology) -> None:
    """fanout's feed tables are UNLOGGED: the replica has none of their rows, so home pages
    are the primary's, fresh, while the public timeline is the paused replica's."""
    async with app_client(topology.settings(feed_strategy="fanout")) as (application, client):
        alice, alice_id = await register(client, "alice")
        bob, _ = await register(client, "bob")
        await follow(client, bob, alice_id)
        assert await texts(client, "/api/v1/timelines/home", bob) == []
        await application.state.runtime.drain()
        topology.replayed()
        topology.pause_replay()
        await post(client, alice, "fanned out")
        await application.state.runtime.drain()
        assert await texts(client, "/api/v1/timelines/home", bob) == ["<p>fanned out</p>"]
        assert await texts(client, "/api/v1/timelines/public") == []


async def test_a_stopped_replica_is_skipped_once_and_rejoins(
    topology: PgTopology, caplog: pytest.LogCaptureFixture
) -> None:
    async with app_client(topology.settings()) as (application, client):
        reads = reads_of(application)
        alice, _ = await register(client, "alice")
        await post(client, alice, "before")
        topology.replica.stop()
        try:
            with caplog.at_level(logging.WARNING, logger="microblog.store.replicas"):
                for _ in range(3):
                    await reads.check()
                # The primary answers everyone meanwhile, new writes included.
                await post(client, alice, "while the replica is down")
                public = await texts(client, "/api/v1/timelines/public")
                assert public == ["<p>while the replica is down</p>", "<p>before</p>"]
            assert not reads.replicas[0].usable
            said = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
            assert len(said) == 1, said
        finally:
            topology.replica.start()
        topology.replayed()
        with caplog.at_level(logging.WARNING, logger="microblog.store.replicas"):
            # PgBouncer waits a second after failed logins before it tries the server again.
            for _ in range(50):
                await reads.check()
                if reads.replicas[0].usable:
                    break
                await asyncio.sleep(0.2)
        assert reads.replicas[0].usable
        assert any("is back" in r.getMessage() for r in caplog.records)
        topology.pause_replay()  # proof that the replica serves again: it lags, visibly
        bob, _ = await register(client, "bob")
        await post(client, bob, "bob, unseen on the replica")
        assert "<p>bob, unseen on the replica</p>" not in await texts(
            client, "/api/v1/timelines/public"
        )


async def test_a_replica_lagging_past_the_limit_is_skipped_until_it_catches_up(
    topology: PgTopology,
) -> None:
    async with app_client(topology.settings(replica_max_lag_seconds=1)) as (application, client):
        reads = reads_of(application)
        alice, _ = await register(client, "alice")
        topology.replayed()
        await reads.check()
        assert reads.replicas[0].usable
        topology.pause_replay()
        await post(client, alice, "written while the replica is held")
        await reads.check()  # the primary's position after the post, sampled
        await asyncio.sleep(1.2)
        await reads.check()
        assert not reads.replicas[0].usable
        assert "lags" in reads.replicas[0].problem
        # Skipped: an anonymous reader gets the primary's page.
        assert await texts(client, "/api/v1/timelines/public") == [
            "<p>written while the replica is held</p>"
        ]
        topology.resume_replay()
        topology.replayed()
        await reads.check()
        assert reads.replicas[0].usable
