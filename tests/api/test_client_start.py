"""What a Mastodon client calls on start: preferences, custom emojis, filters, instance
rules, announcements, followed tags, lists, trends and nodeinfo. Well-formed answers with
the scopes Mastodon asks for, never a 404 or a 500; and Mastodon.py reading them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mastodon import Mastodon

from microblog.service import Microblog
from tests.api.helpers import PASSWORD, auth, post, register

PREFERENCES = {
    "posting:default:visibility": "public",
    "posting:default:sensitive": False,
    "posting:default:language": None,
    "reading:expand:media": "default",
    "reading:expand:spoilers": False,
}
# The endpoints that act for a user, with the scope each needs (as Mastodon's).
SCOPED = {
    "/api/v1/preferences": "read:accounts",
    "/api/v1/filters": "read:filters",
    "/api/v2/filters": "read:filters",
    "/api/v1/lists": "read:lists",
    "/api/v1/followed_tags": "read:follows",
    "/api/v1/announcements": "read",
}
EMPTY_LISTS = [path for path in SCOPED if path != "/api/v1/preferences"]
PUBLIC = [
    "/api/v1/custom_emojis",
    "/api/v1/instance/rules",
    "/api/v1/trends",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v1/trends/links",
]


def service(app: FastAPI) -> Microblog:
    microblog: Microblog = app.state.runtime.microblog
    return microblog


async def token_with(app: FastAPI, client: httpx.AsyncClient, scope: str) -> str:
    """A new user's token holding only ``scope``."""
    _, user_id = await register(client, f"u{uuid.uuid4().hex[:12]}")
    return (await service(app).issue_token(int(user_id), scope)).access_token


async def test_preferences_are_mastodons_defaults(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "alice")
    response = await client.get("/api/v1/preferences", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.json() == PREFERENCES


@pytest.mark.parametrize("path", EMPTY_LISTS + PUBLIC)
async def test_the_lists_a_client_reads_on_start_are_empty(
    client: httpx.AsyncClient, path: str
) -> None:
    token, _ = await register(client, "bob")
    response = await client.get(path, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == []


@pytest.mark.parametrize("path", PUBLIC)
async def test_what_anyone_may_ask_needs_no_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize("path", list(SCOPED))
async def test_what_is_the_users_needs_a_valid_token(client: httpx.AsyncClient, path: str) -> None:
    missing = await client.get(path)
    assert missing.status_code == 401
    assert missing.json() == {"error": "The access token is invalid"}
    wrong = await client.get(path, headers=auth("not-a-token"))
    assert wrong.status_code == 401


@pytest.mark.parametrize(("path", "needed"), list(SCOPED.items()))
async def test_each_asks_for_its_scope(
    app: FastAPI, client: httpx.AsyncClient, path: str, needed: str
) -> None:
    other = "write:statuses" if needed != "write:statuses" else "read:statuses"
    refused = await client.get(path, headers=auth(await token_with(app, client, other)))
    assert refused.status_code == 403, refused.text
    assert needed in refused.json()["error"]
    exact = await client.get(path, headers=auth(await token_with(app, client, needed)))
    assert exact.status_code == 200, exact.text
    broad = await client.get(path, headers=auth(await token_with(app, client, "read")))
    assert broad.status_code == 200, broad.text


async def test_granular_scopes_that_are_not_enough(app: FastAPI, client: httpx.AsyncClient) -> None:
    statuses_only = auth(await token_with(app, client, "read:statuses"))
    for path in SCOPED:
        response = await client.get(path, headers=statuses_only)
        assert response.status_code == 403, path
    # Mastodon's legacy ``follow`` stands for read:follows.
    follow = auth(await token_with(app, client, "follow"))
    assert (await client.get("/api/v1/followed_tags", headers=follow)).status_code == 200
    assert (await client.get("/api/v1/lists", headers=follow)).status_code == 403


async def test_an_app_only_token_is_not_a_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    app_token = (await service(app).issue_token(None, "read")).access_token
    for path in SCOPED:
        response = await client.get(path, headers=auth(app_token))
        assert response.status_code == 422, path
        assert response.json() == {"error": "This method requires an authenticated user"}
    for path in PUBLIC:
        assert (await client.get(path, headers=auth(app_token))).status_code == 200, path


# Nodeinfo -----------------------------------------------------------------------------------


async def test_well_known_nodeinfo_links_to_the_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.json() == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "http://testserver/nodeinfo/2.0",
            }
        ]
    }


async def test_nodeinfo_counts_accounts_and_posts(client: httpx.AsyncClient) -> None:
    empty = (await client.get("/nodeinfo/2.0")).json()
    assert empty["usage"] == {
        "users": {"total": 0, "activeMonth": 0, "activeHalfyear": 0},
        "localPosts": 0,
    }
    ann, _ = await register(client, "ann")
    ben, _ = await register(client, "ben")
    await post(client, ann, "one")
    await post(client, ann, "two")
    await post(client, ben, "three")
    response = await client.get("/nodeinfo/2.0")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    info: dict[str, Any] = response.json()
    assert info["version"] == "2.0"
    assert info["software"]["name"] == "microblog"
    assert isinstance(info["software"]["version"], str) and info["software"]["version"]
    assert info["protocols"] == []
    assert info["services"] == {"inbound": [], "outbound": []}
    assert info["openRegistrations"] is True
    assert info["metadata"] == {}
    assert info["usage"] == {
        "users": {"total": 2, "activeMonth": 2, "activeHalfyear": 2},
        "localPosts": 3,
    }


# OpenAPI ------------------------------------------------------------------------------------


async def test_the_start_endpoints_are_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in [*SCOPED, *PUBLIC]:
        operation = paths[path]["get"]
        assert {"200", "422", "429"} <= set(operation["responses"]), path
    for path in SCOPED:
        assert paths[path]["get"]["security"] == [{"bearer": []}], path
        assert {"401", "403"} <= set(paths[path]["get"]["responses"]), path
    for path in PUBLIC:
        assert "security" not in paths[path]["get"], path
    assert "/nodeinfo/2.0" not in paths and "/.well-known/nodeinfo" not in paths
    preferences = document["components"]["schemas"]["Preferences"]
    assert set(preferences["properties"]) == set(PREFERENCES)
    create = paths["/api/v1/statuses"]["post"]
    (key,) = [p for p in create["parameters"] if p["in"] == "header"]
    assert key["name"] == "Idempotency-Key" and key["schema"]["maxLength"] == 255
    body = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert body["spoiler_text"]["maxLength"] == 100
    assert body["sensitive"]["type"] == "boolean"


# Mastodon.py ----------------------------------------------------------------------------------


def test_mastodon_py_starts_up(live_server: str) -> None:
    created = httpx.post(
        f"{live_server}/api/v1/accounts", data={"username": "starter", "password": PASSWORD}
    )
    assert created.status_code == 200, created.text
    api = Mastodon(
        access_token=created.json()["access_token"],
        api_base_url=live_server,
        version_check_mode="none",
        request_timeout=30,
    )
    preferences = api.preferences()
    assert preferences["posting:default:visibility"] == "public"
    assert preferences["reading:expand:spoilers"] is False
    assert list(api.custom_emojis()) == []
    assert list(api.filters()) == []
    assert list(api.filters_v2()) == []
    assert list(api.lists()) == []
    assert list(api.announcements()) == []
    assert list(api.instance_rules()) == []
    assert list(api.trending_tags()) == []
    assert list(api.trending_statuses()) == []
    assert list(api.followed_tags()) == []
    nodeinfo = api.instance_nodeinfo()
    assert nodeinfo["software"]["name"] == "microblog"
    assert nodeinfo["usage"]["users"]["total"] == 1
