"""Editing statuses (PUT /api/v1/statuses/:id, history, source): the text, the content
warning, mentions and hashtags change; the history keeps every version; who may see a
direct post follows its mentions, cached pages included; streams hear status.update."""

from __future__ import annotations

import json

import httpx
from mastodon import Mastodon

from microblog.settings import Settings
from tests.api.helpers import auth, post, register
from tests.api.test_mastodon_client import client_for, sign_up
from tests.api.test_streaming import server, sse


async def edit(
    client: httpx.AsyncClient, token: str, status_id: str, **data: str
) -> httpx.Response:
    return await client.put(f"/api/v1/statuses/{status_id}", data=data, headers=auth(token))


async def test_an_edit_changes_the_text_and_keeps_the_history(client: httpx.AsyncClient) -> None:
    ann, _ = await register(client, "ann")
    made = await post(client, ann, "first words #tea")
    assert made["edited_at"] is None
    response = await edit(
        client, ann, made["id"], status="second words #coffee", spoiler_text="beans"
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["id"] == made["id"] and edited["edited_at"] is not None
    assert edited["text"] == "second words #coffee" and edited["spoiler_text"] == "beans"
    assert edited["sensitive"] is True  # a content warning makes it sensitive
    assert [t["name"] for t in edited["tags"]] == ["coffee"]
    fetched = (await client.get(f"/api/v1/statuses/{made['id']}")).json()
    assert fetched["content"] == edited["content"] and fetched["edited_at"] == edited["edited_at"]

    history = (await client.get(f"/api/v1/statuses/{made['id']}/history")).json()
    assert [h["spoiler_text"] for h in history] == ["", "beans"]
    assert "first words" in history[0]["content"] and "second words" in history[1]["content"]
    assert history[0]["created_at"] == made["created_at"]
    assert history[1]["created_at"] == edited["edited_at"]
    source = await client.get(f"/api/v1/statuses/{made['id']}/source", headers=auth(ann))
    assert source.json() == {
        "id": made["id"],
        "text": "second words #coffee",
        "spoiler_text": "beans",
    }
    # The hashtags follow the text.
    tea = (await client.get("/api/v1/timelines/tag/tea")).json()
    coffee = (await client.get("/api/v1/timelines/tag/coffee")).json()
    assert tea == [] and [s["id"] for s in coffee] == [made["id"]]


async def test_only_ones_own_text_can_be_edited(client: httpx.AsyncClient) -> None:
    ann, _ = await register(client, "ann")
    bob, _ = await register(client, "bob")
    made = await post(client, ann, "mine")
    boost = await client.post(f"/api/v1/statuses/{made['id']}/reblog", headers=auth(ann))
    hidden = await client.post(
        "/api/v1/statuses", data={"status": "secret", "visibility": "direct"}, headers=auth(ann)
    )
    cases = [
        (bob, made["id"], {"status": "theirs now"}, 403, "your own posts"),
        (ann, boost.json()["id"], {"status": "boost text"}, 403, "boost"),
        (bob, hidden.json()["id"], {"status": "x"}, 404, "No such post"),
        (ann, "999999", {"status": "x"}, 404, "No such post"),
        (ann, made["id"], {"status": ""}, 422, ""),
        (ann, made["id"], {"status": "x" * 201}, 422, ""),
        (ann, made["id"], {"status": "ok", "spoiler_text": "w" * 101}, 422, ""),
        (ann, made["id"], {"status": "ok", "media_ids[]": "1"}, 422, "media"),
    ]
    for token, status_id, data, code, words in cases:
        response = await edit(client, token, status_id, **data)
        assert response.status_code == code, (data, response.text)
        assert words in response.json()["error"], response.text
    after = (await client.get(f"/api/v1/statuses/{made['id']}")).json()
    assert after["text"] == "mine" and after["edited_at"] is None
    history = (await client.get(f"/api/v1/statuses/{made['id']}/history")).json()
    assert len(history) == 1  # the current version only: nothing was edited
    hidden_history = await client.get(f"/api/v1/statuses/{hidden.json()['id']}/history")
    assert hidden_history.status_code == 404


async def test_mentions_follow_the_text_and_so_does_who_sees_a_direct_post(
    settings: Settings,
) -> None:
    # With the page cache on: a reader whose mention goes must lose the post from a cached page.
    with server(settings.replace(feed_cache="redis")) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, ann_id = await register(client, "ann")
            bob, _ = await register(client, "bob")
            carl, _ = await register(client, "carl")
            for reader in (bob, carl):
                await client.post(f"/api/v1/accounts/{ann_id}/follow", headers=auth(reader))
            made = await client.post(
                "/api/v1/statuses",
                data={"status": "@bob only you", "visibility": "direct"},
                headers=auth(ann),
            )
            status_id = made.json()["id"]

            async def home(token: str) -> list[str]:
                page = await client.get("/api/v1/timelines/home", headers=auth(token))
                return [s["id"] for s in page.json()]

            assert status_id in await home(bob) and status_id not in await home(carl)
            response = await edit(client, ann, status_id, status="@carl only you now")
            assert [m["username"] for m in response.json()["mentions"]] == ["carl"]
            assert status_id not in await home(bob)
            assert status_id in await home(carl)
            gone = await client.get(f"/api/v1/statuses/{status_id}", headers=auth(bob))
            assert gone.status_code == 404
            notes = await client.get("/api/v1/notifications", headers=auth(carl))
            assert [(n["type"], n["status"]["id"]) for n in notes.json()] == [
                ("mention", status_id)
            ]


async def test_followers_streams_hear_the_edit(settings: Settings) -> None:
    with server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            ann, _ = await register(client, "ann")
            bob, bob_id = await register(client, "bob")
            await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(ann))
            made = await post(client, bob, "draft")
            async with sse(base, "/api/v1/streaming/user", ann) as stream:
                await edit(client, bob, made["id"], status="final")
                name, data, _ = await stream.next()
                assert name == "status.update"
                status = json.loads(data)
                assert status["id"] == made["id"] and status["text"] == "final"
                await stream.silent()


def test_mastodon_py_edits_and_reads_the_history(live_server: str) -> None:
    ada: Mastodon = client_for(live_server, sign_up(live_server, "ada"))
    status = ada.status_post("typo here")
    ada.status_update(status["id"], "no typo here", spoiler_text="fixed")
    history = ada.status_history(status["id"])
    assert [h["spoiler_text"] for h in history] == ["", "fixed"]
    assert ada.status_source(status["id"])["text"] == "no typo here"
    assert ada.status(status["id"])["edited_at"] is not None


async def test_the_pages_say_a_post_was_edited(client: httpx.AsyncClient) -> None:
    ann, _ = await register(client, "ann")
    made = await post(client, ann, "before")
    page = (await client.get(f"/posts/{made['id']}")).text
    assert 'class="edited"' not in page
    await edit(client, ann, made["id"], status="after")
    page = (await client.get(f"/posts/{made['id']}")).text
    assert 'class="edited"' in page and "after" in page and "before" not in page
