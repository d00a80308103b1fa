"""A token's scopes limit what it may do, on every endpoint, as Mastodon's do.

``SCOPES`` is the table of docs/oauth.md: the scope each API endpoint needs. The tests walk
the app's routes: every route must be in the table, declare the scope the table says (the
``deps.scoped`` family), refuse a token without it (403, naming it) and let one with it
through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from microblog import passwords
from tests.api.helpers import PASSWORD, auth, post, register

# (method, path) -> the scope it needs. "scoped": a user's token with that scope;
# "maybe": anyone, but a token that is sent must hold it; "any": any valid token, no scope.
# None: no token needed (a token is not read).
SCOPES: dict[tuple[str, str], tuple[str, str] | None] = {
    ("POST", "/api/v1/apps"): None,
    ("GET", "/api/v1/apps/verify_credentials"): ("any", ""),
    ("GET", "/api/v1/instance"): None,
    ("GET", "/api/v2/instance"): None,
    ("GET", "/api/v1/instance/rules"): None,
    ("GET", "/api/v1/custom_emojis"): None,
    ("GET", "/api/v1/trends"): None,
    ("GET", "/api/v1/trends/tags"): None,
    ("GET", "/api/v1/trends/statuses"): None,
    ("GET", "/api/v1/trends/links"): None,
    ("POST", "/oauth/token"): None,
    ("POST", "/oauth/revoke"): None,
    # Registering checks write:accounts itself, when a token is sent (none: our sign-up).
    ("POST", "/api/v1/accounts"): ("any", ""),
    ("GET", "/api/v1/accounts/verify_credentials"): ("scoped", "profile"),
    ("PATCH", "/api/v1/accounts/update_credentials"): ("scoped", "write:accounts"),
    ("DELETE", "/api/v1/accounts/me"): ("scoped", "write:accounts"),
    ("GET", "/api/v1/accounts/lookup"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/accounts/search"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/accounts/relationships"): ("scoped", "read:follows"),
    ("GET", "/api/v1/accounts/{account_id}"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/accounts/{account_id}/followers"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/accounts/{account_id}/following"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/accounts/{account_id}/statuses"): ("maybe", "read:statuses"),
    ("POST", "/api/v1/accounts/{account_id}/follow"): ("scoped", "write:follows"),
    ("POST", "/api/v1/accounts/{account_id}/unfollow"): ("scoped", "write:follows"),
    ("POST", "/api/v1/accounts/{account_id}/block"): ("scoped", "write:blocks"),
    ("POST", "/api/v1/accounts/{account_id}/unblock"): ("scoped", "write:blocks"),
    ("POST", "/api/v1/accounts/{account_id}/mute"): ("scoped", "write:mutes"),
    ("POST", "/api/v1/accounts/{account_id}/unmute"): ("scoped", "write:mutes"),
    ("GET", "/api/v1/blocks"): ("scoped", "read:blocks"),
    ("GET", "/api/v1/mutes"): ("scoped", "read:mutes"),
    ("POST", "/api/v1/statuses"): ("scoped", "write:statuses"),
    ("GET", "/api/v1/statuses/{status_id}"): ("maybe", "read:statuses"),
    ("DELETE", "/api/v1/statuses/{status_id}"): ("scoped", "write:statuses"),
    ("GET", "/api/v1/statuses/{status_id}/context"): ("maybe", "read:statuses"),
    ("PUT", "/api/v1/statuses/{status_id}"): ("scoped", "write:statuses"),
    ("GET", "/api/v1/conversations"): ("scoped", "read:statuses"),
    ("GET", "/api/v1/statuses/{status_id}/history"): ("maybe", "read:statuses"),
    ("GET", "/api/v1/statuses/{status_id}/source"): ("scoped", "read:statuses"),
    ("POST", "/api/v1/statuses/{status_id}/favourite"): ("scoped", "write:favourites"),
    ("POST", "/api/v1/statuses/{status_id}/unfavourite"): ("scoped", "write:favourites"),
    ("POST", "/api/v1/statuses/{status_id}/reblog"): ("scoped", "write:statuses"),
    ("POST", "/api/v1/statuses/{status_id}/unreblog"): ("scoped", "write:statuses"),
    ("POST", "/api/v1/statuses/{status_id}/bookmark"): ("scoped", "write:bookmarks"),
    ("POST", "/api/v1/statuses/{status_id}/unbookmark"): ("scoped", "write:bookmarks"),
    ("GET", "/api/v1/statuses/{status_id}/favourited_by"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/statuses/{status_id}/reblogged_by"): ("maybe", "read:accounts"),
    ("GET", "/api/v1/favourites"): ("scoped", "read:favourites"),
    ("GET", "/api/v1/bookmarks"): ("scoped", "read:bookmarks"),
    ("GET", "/api/v1/timelines/home"): ("scoped", "read:statuses"),
    ("GET", "/api/v1/timelines/following"): ("scoped", "read:statuses"),
    ("GET", "/api/v1/timelines/public"): ("maybe", "read:statuses"),
    ("GET", "/api/v1/timelines/tag/{hashtag}"): ("maybe", "read:statuses"),
    ("GET", "/api/v1/tags/{name}"): ("maybe", "read:follows"),
    ("GET", "/api/v1/followed_tags"): ("scoped", "read:follows"),
    ("GET", "/api/v2/search"): ("maybe", "read:search"),
    ("GET", "/api/v1/notifications"): ("scoped", "read:notifications"),
    ("GET", "/api/v1/notifications/unread_count"): ("scoped", "read:notifications"),
    ("GET", "/api/v1/notifications/{notification_id}"): ("scoped", "read:notifications"),
    ("POST", "/api/v1/notifications/clear"): ("scoped", "write:notifications"),
    ("POST", "/api/v1/notifications/{notification_id}/dismiss"): ("scoped", "write:notifications"),
    ("GET", "/api/v1/markers"): ("scoped", "read:statuses"),
    ("POST", "/api/v1/markers"): ("scoped", "write:statuses"),
    ("GET", "/api/v1/preferences"): ("scoped", "read:accounts"),
    ("GET", "/api/v1/filters"): ("scoped", "read:filters"),
    ("GET", "/api/v2/filters"): ("scoped", "read:filters"),
    ("GET", "/api/v1/lists"): ("scoped", "read:lists"),
    ("GET", "/api/v1/announcements"): ("scoped", "read"),
}
# The streaming API reads its token from the query too, and checks each stream's scope itself
# (web/streaming.py); the authorization page is HTML.
SELF_CHECKED = ("/api/v1/streaming", "/oauth/authorize")
KINDS = {"scoped_": "scoped", "maybe_scoped_": "maybe", "app_scoped_": "app"}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2's cheapest settings: every scope gets its own log-in."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (FastAPI 0.16x)
            yield from _routes(route.original_router.routes)
        else:
            yield route


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for route in _routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        if not route.path.startswith(("/api/", "/oauth/")) or route.path.startswith(SELF_CHECKED):
            continue
        for method in sorted(route.methods):
            yield method, route.path, route


def declared(route: APIRoute) -> tuple[str, str] | None:
    """The scope a route's dependencies ask for: (kind, scope), ("any", "") for one that
    reads the token without a scope, or None."""
    names = [getattr(d.call, "__name__", "") for d in _dependencies(route.dependant)]
    for name in names:
        for prefix, kind in KINDS.items():
            if name.startswith(prefix):
                return kind, name.removeprefix(prefix).replace("_", ":", 1)
    return ("any", "") if "api_access" in names else None


def test_every_api_route_is_in_the_table_and_declares_its_scope(app: FastAPI) -> None:
    seen = set()
    for method, path, route in api_routes(app):
        seen.add((method, path))
        assert (method, path) in SCOPES, (
            f"{method} {path}: not in SCOPES; add the scope it needs here and in docs/oauth.md"
        )
        assert declared(route) == SCOPES[(method, path)], (method, path, declared(route))
    assert set(SCOPES) - seen == set(), "routes in the table that the app no longer has"


async def token_with(client: httpx.AsyncClient, scope: str) -> dict[str, str]:
    """The Authorization header of a token of alice's holding exactly ``scope``."""
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": scope},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == scope
    return auth(response.json()["access_token"])


def lacking(scope: str) -> str:
    """A scope that does not allow ``scope``."""
    return "write push" if scope.startswith(("read", "profile")) else "read push"


async def test_every_scoped_route_refuses_a_token_without_its_scope(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, "alice")
    bob_token, bob = await register(client, "bob")
    status = await post(client, bob_token, "hello #tag")
    values = {
        "account_id": bob,
        "status_id": status["id"],
        "notification_id": "1",
        "hashtag": "tag",
        "name": "tag",
    }
    tokens: dict[str, dict[str, str]] = {}
    checked = 0
    for method, path, route in api_routes(app):
        need = declared(route)
        if need is None or need[0] == "any":
            continue
        scope = need[1]
        url = path.format(**values)
        for held in (lacking(scope), scope):
            if held not in tokens:
                tokens[held] = await token_with(client, held)
            response = await client.request(method, url, headers=tokens[held], data={})
            assert response.status_code < 500, (method, url, held, response.text)
            if held == scope:  # through (a 403 of the endpoint's own is another matter)
                assert "outside the authorized scopes" not in response.text, (method, url)
            else:
                assert response.status_code == 403, (method, url, held, response.text)
                assert response.json() == {
                    "error": f"This action is outside the authorized scopes (it needs {scope})"
                }
        checked += 1
    assert checked >= 50


# The cases Mastodon's clients meet --------------------------------------------------------------


async def world(client: httpx.AsyncClient) -> tuple[str, str]:
    """alice and bob; bob has a post. (bob's id, the post's id)"""
    await register(client, "alice")
    bob_token, bob = await register(client, "bob")
    status = await post(client, bob_token, "bob's post")
    return bob, status["id"]


async def test_a_read_token_writes_nothing(client: httpx.AsyncClient) -> None:
    bob, status_id = await world(client)
    read = await token_with(client, "read")
    mine = await client.post(
        "/api/v1/statuses", data={"status": "mine"}, headers=await token_with(client, "write")
    )
    for method, url, data in [
        ("POST", "/api/v1/statuses", {"status": "sneaky"}),
        ("POST", f"/api/v1/accounts/{bob}/follow", {}),
        ("PATCH", "/api/v1/accounts/update_credentials", {"note": "hacked"}),
        ("DELETE", f"/api/v1/statuses/{mine.json()['id']}", {}),
        ("POST", f"/api/v1/statuses/{status_id}/favourite", {}),
        ("POST", f"/api/v1/statuses/{status_id}/reblog", {}),
        ("POST", f"/api/v1/accounts/{bob}/block", {}),
        ("POST", f"/api/v1/accounts/{bob}/mute", {}),
        ("POST", "/api/v1/notifications/clear", {}),
        ("DELETE", "/api/v1/accounts/me", {"password": PASSWORD}),
    ]:
        response = await client.request(method, url, data=data, headers=read)
        assert response.status_code == 403, (method, url, response.text)
        assert "it needs write:" in response.json()["error"]
    # Nothing changed; and reading works.
    assert (await client.get(f"/api/v1/statuses/{mine.json()['id']}")).status_code == 200
    me = await client.get("/api/v1/accounts/verify_credentials", headers=read)
    assert me.json()["following_count"] == 0 and me.json()["note"] == ""
    assert me.json()["statuses_count"] == 1
    assert (await client.get("/api/v1/timelines/home", headers=read)).status_code == 200


async def test_write_statuses_alone_posts_but_does_not_read(client: httpx.AsyncClient) -> None:
    bob, status_id = await world(client)
    token = await token_with(client, "write:statuses")
    posted = await client.post("/api/v1/statuses", data={"status": "hi"}, headers=token)
    assert posted.status_code == 200, posted.text
    assert (await client.get("/api/v1/timelines/home", headers=token)).status_code == 403
    assert (await client.get(f"/api/v1/statuses/{status_id}", headers=token)).status_code == 403
    followed = await client.post(f"/api/v1/accounts/{bob}/follow", headers=token)
    assert followed.status_code == 403
    favourited = await client.post(f"/api/v1/statuses/{status_id}/favourite", headers=token)
    assert favourited.status_code == 403
    deleted = await client.delete(f"/api/v1/statuses/{posted.json()['id']}", headers=token)
    assert deleted.status_code == 200


async def test_follow_grants_the_relationship_scopes(client: httpx.AsyncClient) -> None:
    bob, _ = await world(client)
    token = await token_with(client, "follow")
    for url in (f"/api/v1/accounts/{bob}/follow", f"/api/v1/accounts/{bob}/mute"):
        response = await client.post(url, headers=token)
        assert response.status_code == 200, (url, response.text)
    relationships = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": bob}, headers=token
    )
    assert relationships.json()[0]["following"] is True
    assert relationships.json()[0]["muting"] is True
    assert (await client.get("/api/v1/mutes", headers=token)).status_code == 200
    blocked = await client.post(f"/api/v1/accounts/{bob}/block", headers=token)
    assert blocked.status_code == 200
    assert (await client.get("/api/v1/blocks", headers=token)).status_code == 200
    posted = await client.post("/api/v1/statuses", data={"status": "no"}, headers=token)
    assert posted.status_code == 403
    assert (await client.get("/api/v1/timelines/home", headers=token)).status_code == 403


async def test_profile_reads_only_the_callers_own_account(client: httpx.AsyncClient) -> None:
    bob, status_id = await world(client)
    token = await token_with(client, "profile")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=token)
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    for url in (
        "/api/v1/timelines/home",
        f"/api/v1/accounts/{bob}",
        f"/api/v1/statuses/{status_id}",
        "/api/v1/notifications",
        "/api/v1/timelines/public",
    ):
        assert (await client.get(url, headers=token)).status_code == 403, url
    # read and read:accounts allow it too.
    for scope in ("read", "read:accounts"):
        allowed = await client.get(
            "/api/v1/accounts/verify_credentials", headers=await token_with(client, scope)
        )
        assert allowed.status_code == 200, scope
