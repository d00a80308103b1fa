"""Statuses through the JSON API: publish, read, reply, thread context, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.helpers import account, auth, ids, post, register

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


async def test_new_status_is_a_mastodon_status(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "alice")
    response = await client.post("/api/v1/statuses", data={"status": "Hello"}, headers=auth(token))
    assert response.status_code == 200, response.text
    status = response.json()
    assert isinstance(status["id"], str) and status["id"].isdigit()
    assert status["content"] == "<p>Hello</p>"
    assert status["in_reply_to_id"] is None
    assert status["in_reply_to_account_id"] is None
    assert status["replies_count"] == 0
    assert ISO_Z.fullmatch(status["created_at"]), status["created_at"]
    created = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)
    author = status["account"]
    assert author["id"] == my_id
    assert author["username"] == "alice"
    assert author["acct"] == "alice"
    assert author["display_name"] == "alice"
    assert author["statuses_count"] == 1
    for key in ("note", "followers_count", "following_count", "created_at"):
        assert key in author
    assert ISO_Z.fullmatch(author["created_at"])


async def test_status_can_be_read_back_by_anyone(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "bob")
    created = await post(client, token, "read me")
    response = await client.get(f"/api/v1/statuses/{created['id']}")
    assert response.status_code == 200
    fetched = response.json()
    for key in ("id", "content", "created_at", "in_reply_to_id", "replies_count"):
        assert fetched[key] == created[key], key
    assert fetched["account"]["id"] == created["account"]["id"]


async def test_status_accepts_json_body(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "carl")
    response = await client.post(
        "/api/v1/statuses", json={"status": "from json"}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["content"] == "<p>from json</p>"


async def test_status_content_is_trimmed_and_html_escaped(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "dora")
    status = await post(client, token, "   <script>alert('x')</script> & more\n  ")
    assert (
        status["content"] == "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more</p>"
    )
    stored = (await client.get(f"/api/v1/statuses/{status['id']}")).json()
    assert stored["content"] == status["content"]


async def test_status_keeps_inner_line_breaks(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "eddy")
    status = await post(client, token, "one\ntwo")
    assert status["content"] == "<p>one<br>two</p>"


async def test_status_of_exactly_200_characters_is_accepted(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "fern")
    text = "a" * 200
    status = await post(client, token, text)
    assert status["content"] == f"<p>{text}</p>"
    # Surrounding whitespace does not count: it is trimmed before the length check.
    padded = await post(client, token, "  " + "b" * 200 + "  \n")
    assert padded["content"] == "<p>" + "b" * 200 + "</p>"


async def test_status_length_counts_characters_not_bytes(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "gabe")
    text = "é" * 200  # 400 bytes of UTF-8
    status = await post(client, token, text)
    assert status["content"] == f"<p>{text}</p>"


async def test_reply_points_at_its_parent_and_counts(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "hugo")
    token_b, id_b = await register(client, "iris")
    parent = await post(client, token_a, "parent")
    reply = await post(client, token_b, "reply", in_reply_to_id=parent["id"])
    assert reply["in_reply_to_id"] == parent["id"]
    assert reply["in_reply_to_account_id"] == id_a
    assert reply["account"]["id"] == id_b

    parent_now = (await client.get(f"/api/v1/statuses/{parent['id']}")).json()
    assert parent_now["replies_count"] == 1
    await post(client, token_a, "self reply", in_reply_to_id=parent["id"])
    parent_now = (await client.get(f"/api/v1/statuses/{parent['id']}")).json()
    assert parent_now["replies_count"] == 2


async def test_reply_with_a_json_number_id(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "jade")
    parent = await post(client, token, "parent")
    response = await client.post(
        "/api/v1/statuses",
        json={"status": "reply", "in_reply_to_id": int(parent["id"])},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["in_reply_to_id"] == parent["id"]
    assert response.json()["in_reply_to_account_id"] == my_id


async def test_empty_in_reply_to_id_means_a_top_level_post(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "kurt")
    response = await client.post(
        "/api/v1/statuses", data={"status": "top", "in_reply_to_id": ""}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["in_reply_to_id"] is None


async def test_context_lists_ancestors_root_first_and_descendants(
    client: httpx.AsyncClient,
) -> None:
    token_a, _ = await register(client, "lena")
    token_b, _ = await register(client, "milo")
    root = await post(client, token_a, "root")
    middle = await post(client, token_b, "middle", in_reply_to_id=root["id"])
    leaf = await post(client, token_a, "leaf", in_reply_to_id=middle["id"])
    sibling = await post(client, token_b, "sibling", in_reply_to_id=root["id"])
    await post(client, token_a, "unrelated")

    of_leaf = await client.get(f"/api/v1/statuses/{leaf['id']}/context")
    assert of_leaf.status_code == 200
    assert ids(of_leaf.json()["ancestors"]) == [root["id"], middle["id"]]
    assert of_leaf.json()["descendants"] == []

    of_middle = (await client.get(f"/api/v1/statuses/{middle['id']}/context")).json()
    assert ids(of_middle["ancestors"]) == [root["id"]]
    assert ids(of_middle["descendants"]) == [leaf["id"]]

    of_root = (await client.get(f"/api/v1/statuses/{root['id']}/context")).json()
    assert of_root["ancestors"] == []
    assert sorted(ids(of_root["descendants"]), key=int) == sorted(
        [middle["id"], leaf["id"], sibling["id"]], key=int
    )
    # Context entries are full statuses.
    first = of_leaf.json()["ancestors"][0]
    assert first["content"] == "<p>root</p>"
    assert first["account"]["username"] == "lena"


async def test_context_of_a_lone_status_is_empty(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "nora")
    lone = await post(client, token, "alone")
    response = await client.get(f"/api/v1/statuses/{lone['id']}/context")
    assert response.status_code == 200
    assert response.json() == {"ancestors": [], "descendants": []}


async def test_delete_returns_the_status_and_removes_it(client: httpx.AsyncClient) -> None:
    token, my_id = await register(client, "olga")
    keep = await post(client, token, "keep")
    gone = await post(client, token, "gone")

    response = await client.delete(f"/api/v1/statuses/{gone['id']}", headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == gone["id"]
    assert body["text"] == "gone"

    assert (await client.get(f"/api/v1/statuses/{gone['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{gone['id']}/context")).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{keep['id']}")).status_code == 200
    mine = await client.get(f"/api/v1/accounts/{my_id}/statuses")
    assert ids(mine.json()) == [keep["id"]]
    home = await client.get("/api/v1/timelines/home", headers=auth(token))
    assert ids(home.json()) == [keep["id"]]
    public = await client.get("/api/v1/timelines/public")
    assert ids(public.json()) == [keep["id"]]

    # Deleting it again: it no longer exists.
    again = await client.delete(f"/api/v1/statuses/{gone['id']}", headers=auth(token))
    assert again.status_code == 404
    assert (await account(client, my_id))["statuses_count"] == 1


async def test_deleting_a_reply_updates_the_parent(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "pete")
    parent = await post(client, token, "parent")
    reply = await post(client, token, "reply", in_reply_to_id=parent["id"])
    await client.delete(f"/api/v1/statuses/{reply['id']}", headers=auth(token))
    parent_now = (await client.get(f"/api/v1/statuses/{parent['id']}")).json()
    assert parent_now["replies_count"] == 0
    context = (await client.get(f"/api/v1/statuses/{parent['id']}/context")).json()
    assert context["descendants"] == []


async def test_reply_outlives_its_deleted_parent(client: httpx.AsyncClient) -> None:
    token_a, id_a = await register(client, "ruth")
    token_b, _ = await register(client, "saul")
    parent = await post(client, token_a, "parent")
    reply = await post(client, token_b, "reply", in_reply_to_id=parent["id"])
    deleted = await client.delete(f"/api/v1/statuses/{parent['id']}", headers=auth(token_a))
    assert deleted.status_code == 200

    still = await client.get(f"/api/v1/statuses/{reply['id']}")
    assert still.status_code == 200
    assert still.json()["in_reply_to_id"] == parent["id"]
    context = await client.get(f"/api/v1/statuses/{reply['id']}/context")
    assert context.status_code == 200
    assert context.json()["ancestors"] == []
    assert (await account(client, id_a))["statuses_count"] == 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("scheduled_at", "2030-01-01T00:00:00Z"),
        ("media_ids", ["1"]),
        ("poll", {"options": ["a", "b"], "expires_in": 600}),
    ],
)
async def test_options_not_served_are_refused_not_ignored(
    client: httpx.AsyncClient, option: str, value: object
) -> None:
    token, _ = await register(client, "writer")
    response = await client.post(
        "/api/v1/statuses",
        json={"status": "for your eyes only", option: value},
        headers=auth(token),
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith(f"{option}: ")
    public = await client.get("/api/v1/timelines/public")
    assert public.json() == []  # nothing was published


async def test_public_visibility_is_served(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "writer")
    response = await client.post(
        "/api/v1/statuses",
        data={"status": "hello", "visibility": "public", "spoiler_text": ""},
        headers=auth(token),
    )
    assert response.status_code == 200
    assert response.json()["visibility"] == "public"
