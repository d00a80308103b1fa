"""``microblog serve`` on each ASGI server it offers (``--server``, ``MICROBLOG_SERVER``):
a real server process on loopback answers the API, the database path and the live stream."""

from __future__ import annotations

import httpx
import pytest

from microblog.bench.server import started
from microblog.cli import SERVERS
from microblog.settings import Settings


@pytest.mark.parametrize("server", SERVERS)
def test_serve_answers_on_each_server(
    settings: Settings, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROBLOG_SERVER", server)
    with (
        started(settings, workers=1, run_worker=False) as running,
        httpx.Client(base_url=running.url, timeout=10) as http,
    ):
        instance = http.get("/api/v1/instance")
        assert instance.status_code == 200 and instance.json()["uri"]
        # uvicorn names itself in a Server header; granian sends none.
        assert (instance.headers.get("server") == "uvicorn") == (server == "uvicorn")
        floor = http.get("/api/v1/bench/floor")
        assert floor.status_code == 200 and len(floor.json()) == 20
        public = http.get("/api/v1/timelines/public")
        assert public.status_code == 200 and public.json() == []
        missing = http.get("/api/v1/statuses/999999")
        assert missing.status_code == 404 and "error" in missing.json()
        health = http.get("/api/v1/streaming/health")
        assert health.status_code == 200 and health.text == "OK"
