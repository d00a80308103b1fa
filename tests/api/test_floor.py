"""The benchmark's floor endpoint: served only when asked for, a fixed body of 20 statuses,
no database and no authentication."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from microblog.app import create_app
from microblog.settings import Settings


async def test_the_floor_is_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/bench/floor")).status_code == 404


async def test_the_floor_answers_twenty_statuses_without_a_database(settings: Settings) -> None:
    # The database named does not exist: the floor must answer without it.
    nowhere = settings.replace(database_url="postgresql://postgres@127.0.0.1:1/none")
    app: FastAPI = create_app(nowhere.replace(bench_floor=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/v1/bench/floor")
    assert response.status_code == 200
    statuses = response.json()
    assert len(statuses) == 20
    assert [s["id"] for s in statuses] == [str(i) for i in range(20, 0, -1)]
    assert {"account", "content", "created_at"} <= set(statuses[0])
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"  # the same middleware
