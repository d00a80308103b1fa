"""Direct posts as Mastodon's conversations (GET /api/v1/conversations), and what toot's TUI
calls as it starts and as one uses it (its own API functions, against a real server)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from toot import App, User, api

from tests.api.helpers import auth, post, register
from tests.api.test_mastodon_client import sign_up


async def direct(client: httpx.AsyncClient, token: str, text: str) -> str:
    response = await client.post(
        "/api/v1/statuses", data={"status": text, "visibility": "direct"}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def test_conversations_are_the_direct_posts_one_is_in(client: httpx.AsyncClient) -> None:
    ann, ann_id = await register(client, "ann")
    bob, bob_id = await register(client, "bob")
    carl, _ = await register(client, "carl")
    to_bob = await direct(client, ann, "@bob psst")
    from_bob = await direct(client, bob, "@ann @carl hello both")
    await direct(client, carl, "@bob not for ann")
    await post(client, ann, "@bob a public post is no conversation")

    page = await client.get("/api/v1/conversations", headers=auth(ann))
    assert page.status_code == 200
    found = page.json()
    assert [c["id"] for c in found] == [from_bob, to_bob]
    assert [c["last_status"]["id"] for c in found] == [from_bob, to_bob]
    assert [[a["username"] for a in c["accounts"]] for c in found] == [["bob", "carl"], ["bob"]]
    assert found[0]["unread"] is False and found[0]["accounts"][0]["id"] == bob_id

    first = await client.get("/api/v1/conversations?limit=1", headers=auth(ann))
    assert [c["id"] for c in first.json()] == [from_bob]
    assert f"max_id={from_bob}" in first.headers["Link"]
    rest = await client.get(f"/api/v1/conversations?max_id={from_bob}", headers=auth(ann))
    assert [c["id"] for c in rest.json()] == [to_bob]
    # A block hides the other side's direct posts (one's own stay).
    await client.post(f"/api/v1/accounts/{bob_id}/block", headers=auth(ann))
    blocked = await client.get("/api/v1/conversations", headers=auth(ann))
    assert [c["id"] for c in blocked.json()] == [to_bob]
    assert (await client.get("/api/v1/conversations")).status_code == 401
    assert ann_id


def test_what_toots_tui_calls_answers(live_server: str) -> None:
    token = sign_up(live_server, "alice")
    bob_token = sign_up(live_server, "bob")
    instance = urlsplit(live_server).netloc
    app = App(instance, live_server, "unused", "unused")
    alice = User(instance, "alice", token)
    bob = User(instance, "bob", bob_token)
    # On start: the instance, the caller, preferences and lists.
    assert api.get_instance(live_server).json()["urls"]["streaming_api"].startswith("ws")
    assert api.verify_credentials(app, alice).json()["username"] == "alice"
    assert api.get_preferences(app, alice).json()["posting:default:visibility"] == "public"
    assert api.get_lists(app, alice) == []
    # Then the timelines it offers, each one page.
    api.post_status(app, bob, "@alice direct #tui", visibility="direct")
    made = api.post_status(app, alice, "hello #tui").json()
    assert next(api.home_timeline_generator(app, alice, limit=5))[0]["id"] == made["id"]
    assert next(api.public_timeline_generator(app, alice, limit=5))[0]["id"] == made["id"]
    assert next(api.tag_timeline_generator(app, alice, "tui", limit=5))[0]["id"] == made["id"]
    conversations = next(api.conversation_timeline_generator(app, alice, limit=5))
    assert [c["account"]["username"] for c in conversations] == ["bob"], conversations
    mentions = next(api.notification_timeline_generator(app, alice, limit=5))
    assert [s["account"]["username"] for s in mentions] == ["bob"]  # the mentioning status
    assert next(api.bookmark_timeline_generator(app, alice, limit=5)) == []
    # Editing from the TUI: the source, then the edit.
    assert api.fetch_status_source(app, alice, made["id"]).json()["text"] == "hello #tui"
    edited = api.edit_status(app, alice, made["id"], "hello again #tui").json()
    assert edited["edited_at"] is not None
