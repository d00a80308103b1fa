"""Errors of the JSON API: the right status code, a JSON ``{"error": ...}`` body, no trace,
and nothing written by a rejected request.

Sign-ups are slow (argon2), so each test sets up one small world and tries many bad
requests against it, checking after each one that nothing changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.helpers import PASSWORD, account, auth, ids, post, register

UNKNOWN_ID = "987654321"


def assert_error(response: httpx.Response, status: int, case: object = None) -> str:
    """The response is a JSON error with this status; its message."""
    where = (case, response.request.method, str(response.request.url))
    assert response.status_code == status, (*where, response.status_code, response.text)
    assert "Traceback" not in response.text, where
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), (*where, content_type)
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, (*where, body)
    assert isinstance(body["error"], str) and body["error"].strip(), (*where, body)
    return body["error"]


@dataclass
class World:
    """Two users; the owner has a post."""

    owner_token: str
    owner_id: str
    other_token: str
    other_id: str
    post_id: str


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    owner_token, owner_id = await register(client, "owner")
    other_token, other_id = await register(client, "other")
    status = await post(client, owner_token, "the owner's post")
    return World(owner_token, owner_id, other_token, other_id, status["id"])


async def snapshot(client: httpx.AsyncClient, w: World) -> dict[str, Any]:
    """What a rejected request must leave unchanged."""
    public = await client.get("/api/v1/timelines/public", params={"limit": 40})
    home = await client.get("/api/v1/timelines/home", headers=auth(w.owner_token))
    other_home = await client.get("/api/v1/timelines/home", headers=auth(w.other_token))
    return {
        "public": ids(public.json()),
        "home": ids(home.json()),
        "other_home": ids(other_home.json()),
        "owner": await account(client, w.owner_id),
        "other": await account(client, w.other_id),
        "post": (await client.get(f"/api/v1/statuses/{w.post_id}")).json(),
        "context": (await client.get(f"/api/v1/statuses/{w.post_id}/context")).json(),
    }


# 401 -------------------------------------------------------------------------------------


def protected(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every endpoint that needs a token, with a request that would otherwise succeed."""
    return [
        ("GET", "/api/v1/timelines/home", {}),
        ("GET", "/api/v1/timelines/following", {}),
        ("GET", "/api/v1/accounts/verify_credentials", {}),
        ("PATCH", "/api/v1/accounts/update_credentials", {"data": {"note": "hacked"}}),
        ("GET", "/api/v1/accounts/relationships", {"params": {"id[]": w.other_id}}),
        ("POST", "/api/v1/statuses", {"data": {"status": "sneaky"}}),
        ("DELETE", f"/api/v1/statuses/{w.post_id}", {}),
        ("POST", f"/api/v1/accounts/{w.owner_id}/follow", {}),
        ("POST", f"/api/v1/accounts/{w.owner_id}/unfollow", {}),
    ]


async def test_protected_endpoints_refuse_missing_bad_and_revoked_tokens(
    client: httpx.AsyncClient, world: World
) -> None:
    issued = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "other", "password": PASSWORD},
    )
    revoked = issued.json()["access_token"]
    assert (await client.post("/oauth/revoke", data={"token": revoked})).status_code == 200
    before = await snapshot(client, world)

    credentials: list[dict[str, str]] = [
        {},
        auth("not-a-real-token"),
        auth(revoked),
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {world.other_token}"},
        {"Authorization": world.other_token},
    ]
    for method, url, extra in protected(world):
        for headers in credentials:
            response = await client.request(method, url, headers=headers, **extra)
            assert_error(response, 401, headers)
    assert await snapshot(client, world) == before
    # The same requests with the valid token succeed (so the 401s were about the token).
    for method, url, extra in protected(world):
        if method == "DELETE":
            continue
        response = await client.request(method, url, headers=auth(world.other_token), **extra)
        assert response.status_code == 200, (method, url, response.text)


async def test_a_bad_token_is_refused_even_where_none_is_needed(
    client: httpx.AsyncClient, world: World
) -> None:
    # A bad token is an error, not anonymity (as on Mastodon).
    response = await client.get("/api/v1/timelines/public", headers=auth("not-a-real-token"))
    assert_error(response, 401)
    assert (await client.get("/api/v1/timelines/public")).status_code == 200


async def test_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "casey")
    response = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["id"] == my_id


# 403 -------------------------------------------------------------------------------------


async def test_deleting_someone_elses_post_is_forbidden(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await snapshot(client, world)
    response = await client.delete(
        f"/api/v1/statuses/{world.post_id}", headers=auth(world.other_token)
    )
    assert_error(response, 403)
    still = await client.get(f"/api/v1/statuses/{world.post_id}")
    assert still.status_code == 200
    assert still.json()["content"] == "<p>the owner&#x27;s post</p>"
    assert await snapshot(client, world) == before


# 404 -------------------------------------------------------------------------------------

NOT_FOUND = [
    ("GET", f"/api/v1/accounts/{UNKNOWN_ID}"),
    ("GET", f"/api/v1/accounts/{UNKNOWN_ID}/statuses"),
    ("GET", f"/api/v1/accounts/{UNKNOWN_ID}/followers"),
    ("GET", f"/api/v1/accounts/{UNKNOWN_ID}/following"),
    ("GET", f"/api/v1/statuses/{UNKNOWN_ID}"),
    ("GET", f"/api/v1/statuses/{UNKNOWN_ID}/context"),
    ("DELETE", f"/api/v1/statuses/{UNKNOWN_ID}"),
    ("POST", f"/api/v1/accounts/{UNKNOWN_ID}/follow"),
    ("POST", f"/api/v1/accounts/{UNKNOWN_ID}/unfollow"),
    ("GET", "/api/v1/accounts/lookup?acct=nobody"),
    ("GET", "/api/v1/accounts/lookup?acct=owne"),
    ("GET", "/api/v1/no_such_endpoint"),
    ("GET", "/oauth/no_such_endpoint"),
]


async def test_unknown_things_are_404(client: httpx.AsyncClient, world: World) -> None:
    before = await snapshot(client, world)
    for method, url in NOT_FOUND:
        response = await client.request(method, url, headers=auth(world.owner_token))
        assert_error(response, 404)
    assert await snapshot(client, world) == before


async def test_reply_to_an_unknown_or_deleted_post_is_404_and_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    gone = await post(client, world.owner_token, "soon gone")
    deleted = await client.delete(f"/api/v1/statuses/{gone['id']}", headers=auth(world.owner_token))
    assert deleted.status_code == 200
    before = await snapshot(client, world)
    for parent in (UNKNOWN_ID, gone["id"]):
        for token in (world.owner_token, world.other_token):
            response = await client.post(
                "/api/v1/statuses",
                data={"status": "into the void", "in_reply_to_id": parent},
                headers=auth(token),
            )
            assert_error(response, 404, parent)
    assert await snapshot(client, world) == before
    mine = await client.get(f"/api/v1/accounts/{world.owner_id}/statuses")
    assert ids(mine.json()) == [world.post_id]
    theirs = await client.get(f"/api/v1/accounts/{world.other_id}/statuses")
    assert theirs.json() == []


async def test_unknown_page_outside_the_api_is_a_404_without_trace(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.text


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.put("/api/v1/timelines/public"), 405)
    assert_error(await client.delete("/api/v1/accounts/verify_credentials"), 405)


# 422: statuses ---------------------------------------------------------------------------

BAD_STATUSES: list[tuple[str, dict[str, Any]]] = [
    ("empty", {"data": {"status": ""}}),
    ("whitespace", {"data": {"status": "   \n\t  "}}),
    ("201 chars", {"data": {"status": "x" * 201}}),
    ("201 chars padded", {"data": {"status": "  " + "y" * 201 + "  "}}),
    ("missing", {"data": {}}),
    ("json empty", {"json": {"status": ""}}),
    ("json null", {"json": {"status": None}}),
    ("json number", {"json": {"status": 123}}),
    ("json list", {"json": {"status": ["a", "list"]}}),
    ("json object", {"json": {"status": {"nested": "object"}}}),
    ("json 201 chars", {"json": {"status": "z" * 201}}),
    ("reply to abc", {"data": {"status": "reply", "in_reply_to_id": "abc"}}),
    ("reply to -1", {"data": {"status": "reply", "in_reply_to_id": "-1"}}),
    ("reply to 0", {"data": {"status": "reply", "in_reply_to_id": "0"}}),
    ("reply to 30 digits", {"data": {"status": "reply", "in_reply_to_id": "1" * 30}}),
    ("reply to a list", {"json": {"status": "reply", "in_reply_to_id": [1]}}),
    ("reply to true", {"json": {"status": "reply", "in_reply_to_id": True}}),
]


async def test_invalid_statuses_are_422_and_write_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await snapshot(client, world)
    for case, body in BAD_STATUSES:
        response = await client.post("/api/v1/statuses", headers=auth(world.owner_token), **body)
        assert_error(response, 422, case)
        assert await snapshot(client, world) == before, case
    # The limit is inclusive: 200 characters are accepted right after.
    response = await client.post(
        "/api/v1/statuses", data={"status": "x" * 200}, headers=auth(world.owner_token)
    )
    assert response.status_code == 200


async def test_422_message_names_the_problem(client: httpx.AsyncClient, world: World) -> None:
    too_long = await client.post(
        "/api/v1/statuses", data={"status": "x" * 201}, headers=auth(world.owner_token)
    )
    assert "200" in assert_error(too_long, 422)
    empty = await client.post(
        "/api/v1/statuses", data={"status": " "}, headers=auth(world.owner_token)
    )
    assert "empty" in assert_error(empty, 422).lower()


# 422: cursors and limits -----------------------------------------------------------------

BAD_QUERIES = [
    {"max_id": "abc"},
    {"max_id": "-1"},
    {"max_id": "0"},
    {"max_id": "1" * 30},
    {"max_id": str(2**63)},
    {"max_id": "1.5"},
    {"max_id": "1e3"},
    {"since_id": "abc"},
    {"since_id": "-1"},
    {"since_id": "1" * 30},
    {"min_id": "abc"},
    {"min_id": "0"},
    {"min_id": "1" * 30},
    {"limit": "abc"},
    {"limit": "0"},
    {"limit": "-5"},
    {"limit": "2.5"},
]


async def test_malformed_cursor_or_limit_is_422_on_every_timeline(
    client: httpx.AsyncClient, world: World
) -> None:
    for url in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/following",
        "/api/v1/timelines/public",
        f"/api/v1/accounts/{world.owner_id}/statuses",
    ):
        for query in BAD_QUERIES:
            response = await client.get(url, params=query, headers=auth(world.owner_token))
            message = assert_error(response, 422, query)
            assert next(iter(query)) in message, (url, query, message)


async def test_malformed_cursor_on_account_lists_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    for kind in ("followers", "following"):
        for query in ({"max_id": "abc"}, {"max_id": "0"}, {"limit": "0"}, {"limit": "x"}):
            response = await client.get(f"/api/v1/accounts/{world.owner_id}/{kind}", params=query)
            assert_error(response, 422, query)
    for query in ({"id[]": "abc"}, {"id": "-3"}):
        response = await client.get(
            "/api/v1/accounts/relationships", params=query, headers=auth(world.owner_token)
        )
        assert_error(response, 422, query)


# 422 for malformed path ids (not 404) ------------------------------------------------------

BAD_PATH_IDS = [
    "abc",
    "-1",
    "0",
    "1.5",
    "1" * 30,
    str(2**63),
    "%20",
    "\uff11\uff12",
]  # the last: fullwidth digits


async def test_malformed_path_ids_are_a_json_422(client: httpx.AsyncClient, world: World) -> None:
    before = await snapshot(client, world)
    token = auth(world.owner_token)
    for bad_id in BAD_PATH_IDS:
        for method, url in [
            ("GET", f"/api/v1/statuses/{bad_id}"),
            ("GET", f"/api/v1/statuses/{bad_id}/context"),
            ("DELETE", f"/api/v1/statuses/{bad_id}"),
            ("GET", f"/api/v1/accounts/{bad_id}"),
            ("GET", f"/api/v1/accounts/{bad_id}/statuses"),
            ("GET", f"/api/v1/accounts/{bad_id}/followers"),
            ("GET", f"/api/v1/accounts/{bad_id}/following"),
            ("POST", f"/api/v1/accounts/{bad_id}/follow"),
            ("POST", f"/api/v1/accounts/{bad_id}/unfollow"),
        ]:
            response = await client.request(method, url, headers=token)
            assert_error(response, 422, bad_id)
    assert await snapshot(client, world) == before


# 422: accounts and tokens ----------------------------------------------------------------

BAD_SIGN_UPS: list[tuple[str, dict[str, str]]] = [
    ("taken", {"username": "owner", "password": PASSWORD}),
    ("taken, other case", {"username": "OWNER", "password": PASSWORD}),
    ("taken, mixed case", {"username": "Owner", "password": "another password"}),
    ("taken, padded", {"username": " owner ", "password": PASSWORD}),
    ("space inside", {"username": "bad name", "password": PASSWORD}),
    ("dash", {"username": "bad-name", "password": PASSWORD}),
    ("dot", {"username": "bad.name", "password": PASSWORD}),
    ("at sign", {"username": "@badname", "password": PASSWORD}),
    ("non-ascii", {"username": "bäd", "password": PASSWORD}),
    ("empty name", {"username": "", "password": PASSWORD}),
    ("31 chars", {"username": "x" * 31, "password": PASSWORD}),
    ("7-char password", {"username": "newbie", "password": "short7!"}),
    ("empty password", {"username": "newbie", "password": ""}),
    ("no password", {"username": "newbie"}),
    ("no username", {"password": PASSWORD}),
    ("nothing", {}),
]


async def test_invalid_sign_ups_are_422_and_create_no_account(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await snapshot(client, world)
    for case, data in BAD_SIGN_UPS:
        response = await client.post("/api/v1/accounts", data=data)
        assert_error(response, 422, case)
    for case, data in BAD_SIGN_UPS[:3]:
        response = await client.post("/api/v1/accounts", json=data)
        assert_error(response, 422, f"json {case}")
    assert await snapshot(client, world) == before
    for name in ("newbie", "bad_name", "badname", "x" * 31):
        found = await client.get("/api/v1/accounts/lookup", params={"acct": name})
        assert_error(found, 404, name)
    # The owner still logs in with the original password, not the one a duplicate tried.
    login = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "owner", "password": PASSWORD},
    )
    assert login.status_code == 200
    hijack = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "owner", "password": "another password"},
    )
    assert_error(hijack, 422)


async def test_sign_up_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    name = "N_9" + "n" * 27
    response = await client.post(
        "/api/v1/accounts", data={"username": name, "password": "8chars!!"}
    )
    assert response.status_code == 200, response.text
    found = await client.get("/api/v1/accounts/lookup", params={"acct": name})
    assert found.json()["username"] == name


BAD_TOKEN_REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("wrong password", {"grant_type": "password", "username": "owner", "password": "nope nope"}),
    ("empty password", {"grant_type": "password", "username": "owner", "password": ""}),
    ("unknown user", {"grant_type": "password", "username": "nobody", "password": PASSWORD}),
    ("no password", {"grant_type": "password", "username": "owner"}),
    ("no username", {"grant_type": "password", "password": PASSWORD}),
]
# The other grants answer RFC 6749's errors (docs/oauth.md; tests/api/test_oauth.py).
BAD_OAUTH_REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("client_credentials", {"grant_type": "client_credentials"}),
    (
        "client_credentials with a password",
        {"grant_type": "client_credentials", "username": "owner", "password": PASSWORD},
    ),
    ("authorization_code", {"grant_type": "authorization_code", "code": "x"}),
    ("no grant_type", {"username": "owner", "password": PASSWORD}),
]


async def test_refused_token_requests_are_422(client: httpx.AsyncClient, world: World) -> None:
    for case, data in BAD_TOKEN_REQUESTS:
        response = await client.post("/oauth/token", data=data)
        assert_error(response, 422, case)
        assert "access_token" not in response.text


async def test_refused_grants_answer_oauth_errors(client: httpx.AsyncClient, world: World) -> None:
    for case, data in BAD_OAUTH_REQUESTS:
        response = await client.post("/oauth/token", data=data)
        assert response.status_code in (400, 401), (case, response.text)
        assert isinstance(response.json()["error"], str), case
        assert "access_token" not in response.text


async def test_wrong_password_and_unknown_user_get_the_same_message(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "owner", "password": "not it at all"},
    )
    unknown = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "ghost", "password": "not it at all"},
    )
    assert assert_error(wrong, 422) == assert_error(unknown, 422)


async def test_self_follow_is_422_and_counts_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await snapshot(client, world)
    response = await client.post(
        f"/api/v1/accounts/{world.owner_id}/follow", headers=auth(world.owner_token)
    )
    assert_error(response, 422)
    assert await snapshot(client, world) == before
    me = await account(client, world.owner_id)
    assert me["followers_count"] == 0
    assert me["following_count"] == 0
    rel = await client.get(
        "/api/v1/accounts/relationships",
        params={"id[]": world.owner_id},
        headers=auth(world.owner_token),
    )
    assert rel.json()[0]["following"] is False


# 400: unreadable bodies ------------------------------------------------------------------

BAD_BODIES = [
    b"{not json",
    b'{"status": "unterminated',
    b"[1, 2]",
    b'["status", "hello"]',
    b'"a string"',
    b"42",
    b"null",
    b"\xff\xfe",
]


async def test_malformed_or_non_object_json_is_400_and_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    before = await snapshot(client, world)
    json_type = {"Content-Type": "application/json"}
    for method, url, headers in [
        ("POST", "/api/v1/statuses", json_type | auth(world.owner_token)),
        ("POST", "/api/v1/accounts", json_type),
        ("POST", "/oauth/token", json_type),
        ("POST", "/oauth/revoke", json_type),
        ("PATCH", "/api/v1/accounts/update_credentials", json_type | auth(world.owner_token)),
    ]:
        for raw in BAD_BODIES:
            response = await client.request(method, url, content=raw, headers=headers)
            assert_error(response, 400, raw)
    assert await snapshot(client, world) == before
    # The owner's token was not revoked by a garbled revoke request.
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(world.owner_token))
    assert me.status_code == 200


async def test_json_content_type_with_charset_is_read(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "charset")
    response = await client.post(
        "/api/v1/statuses",
        content='{"status": "café"}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"} | auth(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["content"] == "<p>café</p>"


@pytest.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the app's 500 answer instead of the exception behind it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_deeply_nested_json_is_a_400_not_a_500(lenient_client: httpx.AsyncClient) -> None:
    nested = b"[" * 30_000 + b"]" * 30_000  # deep, and under the 64 KiB body limit
    response = await lenient_client.post(
        "/api/v1/accounts", content=nested, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400)


# Schema ---------------------------------------------------------------------------------


async def test_openapi_schema_lists_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "openapi" in schema
    paths = schema["paths"]
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/following",
        "/api/v1/statuses",
        "/api/v1/accounts",
        "/oauth/token",
    ):
        assert path in paths, path
    assert "get" in paths["/api/v1/timelines/home"]
