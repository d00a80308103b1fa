"""Small helpers shared by the JSON API tests: sign-ups, posts, follows and Link headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

PASSWORD = "correct horse battery"


def auth(token: str) -> dict[str, str]:
    """The Authorization header of a bearer token."""
    return {"Authorization": f"Bearer {token}"}


async def register(
    client: httpx.AsyncClient, name: str, password: str = PASSWORD
) -> tuple[str, str]:
    """Sign up ``name`` through the API; (access token, account id)."""
    response = await client.post("/api/v1/accounts", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert me.status_code == 200, me.text
    return token, me.json()["id"]


async def post(
    client: httpx.AsyncClient, token: str, text: str, in_reply_to_id: str | None = None
) -> dict[str, Any]:
    """Publish a status; the Status entity."""
    data = {"status": text}
    if in_reply_to_id is not None:
        data["in_reply_to_id"] = in_reply_to_id
    response = await client.post("/api/v1/statuses", data=data, headers=auth(token))
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


async def follow(client: httpx.AsyncClient, token: str, account_id: str) -> dict[str, Any]:
    """Follow an account; the Relationship."""
    response = await client.post(f"/api/v1/accounts/{account_id}/follow", headers=auth(token))
    assert response.status_code == 200, response.text
    relationship: dict[str, Any] = response.json()
    return relationship


async def account(client: httpx.AsyncClient, account_id: str) -> dict[str, Any]:
    """The Account entity of an id."""
    response = await client.get(f"/api/v1/accounts/{account_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def ids(statuses: list[dict[str, Any]]) -> list[str]:
    """The ids of a list of statuses, in order."""
    return [s["id"] for s in statuses]


def newest_first(status_ids: list[str]) -> list[str]:
    """Status ids sorted as a timeline shows them (numerically, newest first)."""
    return sorted(status_ids, key=int, reverse=True)


def links(response: httpx.Response) -> dict[str, str]:
    """The ``Link`` header as ``{rel: url}`` (empty when there is none)."""
    return {link["rel"]: link["url"] for link in response.links.values() if "rel" in link}


def link_params(response: httpx.Response, rel: str) -> dict[str, str]:
    """The query parameters of the ``rel`` link (each given once)."""
    url = links(response)[rel]
    query = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), url
    return {key: values[0] for key, values in query.items()}


def relative(url: str) -> str:
    """Path and query of an absolute URL (for the in-process client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def walk(
    client: httpx.AsyncClient,
    first_url: str,
    headers: dict[str, str] | None = None,
    between_pages: Callable[[], Awaitable[None]] | None = None,
    max_pages: int = 200,
) -> list[str]:
    """Follow ``rel="next"`` links from ``first_url``; the ids of every page, in order.

    ``between_pages`` (an async callable) runs after each page is read, e.g. to post more.
    """
    seen: list[str] = []
    url: str | None = first_url
    for _ in range(max_pages):
        assert url is not None
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += ids(page)
        if between_pages is not None:
            await between_pages()
        next_url = links(response).get("next")
        if next_url is None:
            return seen
        url = relative(next_url)
    raise AssertionError(f"more than {max_pages} pages")
