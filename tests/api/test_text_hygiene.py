"""Text that can't be stored, through the JSON API: NUL, a lone surrogate (only a JSON
``\\ud800`` escape carries one), a noncharacter or a control character in any text input,
lookup, path or query parameter is a 422 naming the field, and nothing is stored.
A ``DataError`` that slips past the rules is a 422 too, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher

from microblog import passwords
from microblog.app import create_app
from microblog.domain import rules
from microblog.settings import Settings
from tests.api.helpers import PASSWORD, auth, post, register

NUL = "\x00"
SURROGATE = "\ud800"
UNSTORABLE = "can't be stored"
# (how it is sent, the character): a surrogate travels only as JSON's escape.
BAD = [
    ("form", NUL),
    ("json", NUL),
    ("json", SURROGATE),
    ("json", "\ufffe"),
    ("form", "\x07"),
]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups and log-ins with argon2's cheapest settings (the default costs 0.2 s each)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def send(encoding: str, values: dict[str, str]) -> dict[str, Any]:
    """Request arguments for ``values`` as a form or as JSON text (``ensure_ascii``, so a
    lone surrogate goes as its ``\\ud800`` escape, as an attacker would send it)."""
    if encoding == "form":
        return {"data": values}
    return {
        "content": json.dumps(values).encode(),
        "headers": {"Content-Type": "application/json"},
    }


def with_auth(kwargs: dict[str, Any], token: str) -> dict[str, Any]:
    return {**kwargs, "headers": {**kwargs.get("headers", {}), **auth(token)}}


def assert_refused(response: httpx.Response, *words: str) -> str:
    """A JSON 422 whose message says the text can't be stored and names the field."""
    where = (response.request.method, str(response.request.url), response.text)
    assert response.status_code == 422, where
    assert response.headers["content-type"].startswith("application/json"), where
    body = response.json()
    assert set(body) == {"error"}, where
    message: str = body["error"]
    assert UNSTORABLE in message, where
    for word in words:
        assert word in message, where
    return message


@dataclass
class World:
    token: str
    account_id: str
    post_id: str
    database_url: str

    def count(self, sql: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(sql).fetchone()  # a fixed statement of the test's own
        assert row is not None
        return int(row[0])

    def rows(self) -> dict[str, int]:
        """What a refused request must leave as it was."""
        return {
            table: self.count(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            for table in ("users", "posts", "api_tokens")
        }


@pytest.fixture
async def world(client: httpx.AsyncClient, settings: Settings) -> World:
    token, account_id = await register(client, "alice")
    status = await post(client, token, "the first post")
    return World(token, account_id, status["id"], settings.database_url)


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    """The test's refused requests store nothing."""
    before = world.rows()
    yield
    assert world.rows() == before


# Text inputs --------------------------------------------------------------------------------


async def test_post_text(client: httpx.AsyncClient, world: World, unchanged: None) -> None:
    for encoding, char in BAD:
        for text in (f"a{char}b", char):
            response = await client.post(
                "/api/v1/statuses", **with_auth(send(encoding, {"status": text}), world.token)
            )
            assert_refused(response, "Post text")
    nul = await client.post(
        "/api/v1/statuses", **with_auth(send("json", {"status": "x\x00y"}), world.token)
    )
    assert nul.json()["error"] == "Post text contains a character that can't be stored (NUL)"
    lone = await client.post(
        "/api/v1/statuses", **with_auth(send("json", {"status": "x\ud800y"}), world.token)
    )
    assert "lone surrogate, U+D800" in lone.json()["error"]


async def test_tabs_and_line_breaks_are_kept(client: httpx.AsyncClient, world: World) -> None:
    status = await post(client, world.token, "one\ttab\r\ntwo lines")
    assert status["text"] == "one\ttab\ntwo lines"


async def test_note(client: httpx.AsyncClient, world: World, unchanged: None) -> None:
    for encoding, char in BAD:
        response = await client.patch(
            "/api/v1/accounts/update_credentials",
            **with_auth(send(encoding, {"note": f"about me{char}"}), world.token),
        )
        assert_refused(response, "note")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(world.token))
    assert me.json()["source"]["note"] == ""


async def test_sign_up(client: httpx.AsyncClient, world: World, unchanged: None) -> None:
    for encoding, char in BAD:
        bad_name = await client.post(
            "/api/v1/accounts", **send(encoding, {"username": f"bob{char}", "password": PASSWORD})
        )
        assert_refused(bad_name, "Username")
        bad_password = await client.post(
            "/api/v1/accounts", **send(encoding, {"username": "bob", "password": PASSWORD + char})
        )
        assert_refused(bad_password, "Password")
    assert (await client.get("/api/v1/accounts/lookup", params={"acct": "bob"})).status_code == 404


async def test_log_in_and_scope(client: httpx.AsyncClient, world: World, unchanged: None) -> None:
    for encoding, char in BAD:
        grant = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        for field, label in (("username", "Username"), ("password", "Password"), ("scope", "")):
            values = {**grant, field: grant.get(field, "read") + char}
            response = await client.post("/oauth/token", **send(encoding, values))
            assert_refused(response, label or "scope")


async def test_account_deletion_password(
    client: httpx.AsyncClient, world: World, unchanged: None
) -> None:
    for encoding, char in BAD:
        response = await client.request(
            "DELETE",
            "/api/v1/accounts/me",
            **with_auth(send(encoding, {"password": PASSWORD + char}), world.token),
        )
        assert_refused(response, "Password")


async def test_apps(client: httpx.AsyncClient, world: World) -> None:
    for encoding, char in BAD:
        for field in ("client_name", "website", "redirect_uris"):
            values = {"client_name": "app", field: f"https://example.org/{char}"}
            response = await client.post("/api/v1/apps", **send(encoding, values))
            assert_refused(response, field)


async def test_revoke(client: httpx.AsyncClient, world: World, unchanged: None) -> None:
    for encoding, char in BAD:
        response = await client.post(
            "/oauth/revoke", **send(encoding, {"token": world.token + char})
        )
        assert_refused(response, "token")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(world.token))
    assert me.status_code == 200


# Lookups, paths and query parameters ----------------------------------------------------------


async def test_lookup_of_an_impossible_name_is_a_4xx(
    client: httpx.AsyncClient, world: World
) -> None:
    for url in (
        "/api/v1/accounts/lookup?acct=a%00b",
        "/api/v1/accounts/lookup?acct=alice%00",
        "/api/v1/accounts/lookup?acct=%EF%BF%BE",  # U+FFFE
        "/api/v1/accounts/lookup?acct=a%01",
    ):
        response = await client.get(url)
        assert_refused(response, "acct")


async def test_any_query_or_path_parameter(client: httpx.AsyncClient, world: World) -> None:
    urls = [
        "/api/v1/timelines/public?max_id=%00",
        "/api/v1/timelines/public?anything=x%00",
        "/api/v1/timelines/public?a%00b=1",
        "/api/v1/timelines/home?limit=%07",
        f"/api/v1/accounts/{world.account_id}/statuses?since_id=1%00",
        "/api/v1/accounts/relationships?id[]=%00",
        "/api/v1/instance?x=%EF%B7%90",  # U+FDD0
        "/api/v2/instance?x=%00",
        f"/api/v1/accounts/{world.account_id}%00",
        f"/api/v1/statuses/{world.post_id}%00/context",
    ]
    for url in urls:
        assert_refused(await client.get(url, headers=auth(world.token)))
    refused = await client.post("/oauth/token?username=alice%00", data={"grant_type": "password"})
    assert_refused(refused, "username")


# The backstop ---------------------------------------------------------------------------------


async def test_a_value_the_database_refuses_is_a_422_not_a_500(
    client: httpx.AsyncClient, world: World, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if a rule were missing: every text passes, and PostgreSQL (NUL) or psycopg's
    # encoding (a lone surrogate) refuses it.
    monkeypatch.setattr(rules, "storable", lambda raw, *_: raw)
    for encoding, char in (("form", NUL), ("json", SURROGATE)):
        response = await client.post(
            "/api/v1/statuses", **with_auth(send(encoding, {"status": f"a{char}b"}), world.token)
        )
        assert response.status_code == 422, response.text
        assert response.json() == {
            "error": "The request holds a value that can't be stored; check what was typed"
        }


async def test_a_log_in_name_is_refused_before_the_rate_limit_counts_it(
    settings: Settings,
) -> None:
    # The log-in limit counts attempts per username, in Redis, which can't take a surrogate.
    app = create_app(settings.replace(rate_limits=True))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        values = {"grant_type": "password", "username": "a\ud800", "password": PASSWORD}
        response = await client.post("/oauth/token", **send("json", values))
        assert_refused(response, "Username")
