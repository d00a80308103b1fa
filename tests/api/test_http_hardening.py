"""The HTTP layer under attack: security headers, body ceilings, forged Host headers, a 500
that keeps the connection, and database connections that die under the pool."""

from __future__ import annotations

import asyncio
import re
import socket

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from microblog.app import create_app
from microblog.settings import Settings
from microblog.web.headers import CONTENT_SECURITY_POLICY
from tests.api.helpers import PASSWORD, register
from tests.conftest import free_port, serving

# Headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/timelines/public", "/nowhere"])
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


async def test_hsts_only_with_secure_cookies(settings: Settings) -> None:
    app = create_app(settings.replace(secure_cookies=True, public_url="https://testserver"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            response = await c.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_load_nothing_the_policy_forbids(client: httpx.AsyncClient) -> None:
    page = (await client.get("/login")).text
    assert "<script>" not in page and " on" not in re.sub(r"<script[^>]*src=[^>]*>", "", page)
    assert '"allowEval":false' in page  # htmx is told not to eval
    assert "hx-on" not in page
    assert "'self'" in CONTENT_SECURITY_POLICY


async def test_no_docs_page_loading_scripts_from_a_cdn(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/docs")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 200


# Bodies -----------------------------------------------------------------------------------


async def test_an_announced_huge_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def endless() -> object:
        nonlocal sent
        for _ in range(10_000):  # 640 MB if it were all read
            sent += 1
            yield b"x" * 65_536

    response = await client.post(
        "/oauth/token",
        content=endless(),
        headers={"content-type": "application/json", "content-length": str(10_000 * 65_536)},
    )
    assert response.status_code == 413
    assert "larger than 65536 bytes" in response.json()["error"]
    assert sent <= 2


async def test_a_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> object:
        nonlocal sent
        for _ in range(1_000):
            sent += 1
            yield b"a" * 16_384

    response = await client.post(
        "/oauth/token", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert sent < 10  # stopped after ~64 KiB, not 16 MB


async def test_a_huge_page_form_gets_413_not_a_parse_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"username": "x" * 100_000, "password": "y"})
    assert response.status_code == 413
    assert "larger than" in response.text


# Host -------------------------------------------------------------------------------------


async def test_a_forged_host_header_never_reaches_a_url(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "owner")
    auth = {"Authorization": f"Bearer {token}"}
    forged = {**auth, "Host": "evil.example"}
    created = await client.post("/api/v1/statuses", json={"status": "hello"}, headers=forged)
    assert created.status_code == 200
    body = created.text
    assert "evil.example" not in body
    assert created.json()["url"].startswith("http://testserver/")
    timeline = await client.get("/api/v1/timelines/home?limit=1", headers=forged)
    assert "evil.example" not in timeline.headers["link"]
    assert timeline.headers["link"].startswith("<http://testserver/api/v1/timelines/home?")
    for path in ("/api/v1/instance", "/api/v2/instance"):
        assert "evil.example" not in (await client.get(path, headers=forged)).text


# A 500 ------------------------------------------------------------------------------------


def _exchange(sock: socket.socket, path: str) -> bytes:
    """One request on an open keep-alive connection; the whole response."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65_536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65_536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-answer")
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_500_keeps_the_connection_for_the_next_request(settings: Settings) -> None:
    port = free_port()
    app = create_app(settings.replace(public_url=f"http://127.0.0.1:{port}"))

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/boom", boom)
    with serving(app, port), socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        first = _exchange(sock, "/api/v1/boom")
        assert first.startswith(b"HTTP/1.1 500")
        assert b'{"error":"Something went wrong on our side; please try again"}' in first
        assert b"a bug" not in first and b"Traceback" not in first
        assert b"content-security-policy" in first.lower()
        second = _exchange(sock, "/api/v1/timelines/public")  # the same connection
        assert second.startswith(b"HTTP/1.1 200")


# Database connections ---------------------------------------------------------------------


async def test_terminated_database_connections_cost_no_request(
    app: FastAPI, client: httpx.AsyncClient, clean_db: str
) -> None:
    token, _ = await register(client, "owner")
    auth = {"Authorization": f"Bearer {token}"}
    pool = app.state.runtime.pool
    # Every connection of the pool open and idle.
    await asyncio.gather(*(client.get("/api/v1/timelines/home", headers=auth) for _ in range(8)))
    assert pool.get_stats()["pool_size"] >= 2
    with psycopg.connect(clean_db, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'idle' AND backend_type = 'client backend'"
        ).fetchone()
    assert killed is not None and killed[0] >= 2
    await asyncio.sleep(0.2)  # the FATAL message and the close reach the sockets
    answers = await asyncio.gather(
        *(client.get("/api/v1/timelines/home", headers=auth) for _ in range(8))
    )
    assert [r.status_code for r in answers] == [200] * 8
    logged_in = await client.post(
        "/oauth/token", data={"grant_type": "password", "username": "owner", "password": PASSWORD}
    )
    assert logged_in.status_code == 200
