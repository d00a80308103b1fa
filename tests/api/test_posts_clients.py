"""Posts and accounts as Mastodon clients send them: content warnings (``spoiler_text``,
``sensitive``), the ``Idempotency-Key`` header, display names, hashtags (stored, linked, in
``tags``) and the account statuses' ``tagged`` / ``exclude_replies`` / ``pinned`` /
``only_media`` filters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from mastodon import Mastodon

from microblog.app import create_app
from microblog.settings import Settings
from tests.api.helpers import PASSWORD, account, auth, ids, post, register


async def publish(
    client: httpx.AsyncClient,
    token: str,
    data: dict[str, Any] | None = None,
    *,
    json: dict[str, Any] | None = None,
    key: str | None = None,
) -> httpx.Response:
    """POST /api/v1/statuses as a form (or JSON), with an Idempotency-Key when given."""
    headers = auth(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/api/v1/statuses", data=data, json=json, headers=headers)


async def rows(database_url: str, query: str, *values: object) -> list[tuple[Any, ...]]:
    """Rows of a query on the test database (to see what was stored)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute(query.encode(), values)  # type: ignore[arg-type]
        return await cur.fetchall() if cur.description else []


async def count_posts(database_url: str, account_id: str) -> int:
    found = await rows(database_url, "SELECT count(*) FROM posts WHERE author_id = %s", account_id)
    return int(found[0][0])


# Content warnings ---------------------------------------------------------------------------


async def test_a_content_warning_is_stored_returned_and_makes_the_status_sensitive(
    client: httpx.AsyncClient,
) -> None:
    token, _ = await register(client, "alice")
    response = await publish(
        client, token, {"status": "the ending of the film", "spoiler_text": "  Spoilers  "}
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["spoiler_text"] == "Spoilers"
    assert created["sensitive"] is True  # as on Mastodon: a content warning is sensitive
    assert created["content"] == "<p>the ending of the film</p>"
    fetched = (await client.get(f"/api/v1/statuses/{created['id']}")).json()
    assert (fetched["spoiler_text"], fetched["sensitive"]) == ("Spoilers", True)
    public = (await client.get("/api/v1/timelines/public")).json()
    assert (public[0]["spoiler_text"], public[0]["sensitive"]) == ("Spoilers", True)


@pytest.mark.parametrize(
    ("sent", "sensitive"),
    [
        ({"sensitive": "true"}, True),
        ({"sensitive": "1"}, True),
        ({"sensitive": "0"}, False),
        ({"sensitive": "false"}, False),
        ({}, False),
    ],
)
async def test_sensitive_alone_as_a_form_sends_it(
    client: httpx.AsyncClient, sent: dict[str, str], sensitive: bool
) -> None:
    token, _ = await register(client, "bob")
    response = await publish(client, token, {"status": "a photo, in words", **sent})
    assert response.status_code == 200, response.text
    assert response.json()["sensitive"] is sensitive
    assert response.json()["spoiler_text"] == ""


async def test_content_warning_and_sensitive_as_json(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "carl")
    response = await publish(
        client, token, json={"status": "x", "spoiler_text": "cw", "sensitive": False}
    )
    assert response.status_code == 200, response.text
    # A content warning makes it sensitive even when sensitive is false.
    assert (response.json()["spoiler_text"], response.json()["sensitive"]) == ("cw", True)
    flagged = await publish(client, token, json={"status": "y", "sensitive": True})
    assert flagged.json()["sensitive"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "x", "spoiler_text": "w" * 101}, "Content warning is 101 characters"),
        ({"status": "x", "spoiler_text": "bad\u0000"}, "Content warning contains a character"),
        ({"status": "x", "spoiler_text": 5}, "spoiler_text must be text"),
        ({"status": "x", "sensitive": "maybe"}, "sensitive must be true or false"),
        ({"status": "x", "sensitive": 7}, "sensitive must be true or false"),
        ({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, "scheduled_at: "),
    ],
)
async def test_bad_content_warnings_are_refused_and_nothing_is_posted(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    token, _ = await register(client, "dora")
    response = await publish(client, token, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith(message)
    assert (await client.get("/api/v1/timelines/public")).json() == []


async def test_a_content_warning_of_100_characters_is_fine(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "erin")
    response = await publish(client, token, {"status": "x", "spoiler_text": "w" * 100})
    assert response.status_code == 200, response.text
    assert response.json()["spoiler_text"] == "w" * 100


def test_mastodon_py_posts_a_content_warning(live_server: str) -> None:
    created = httpx.post(
        f"{live_server}/api/v1/accounts", data={"username": "mpy", "password": PASSWORD}
    )
    api = Mastodon(
        access_token=created.json()["access_token"],
        api_base_url=live_server,
        version_check_mode="none",
        request_timeout=30,
    )
    warned = api.status_post("the butler did it", spoiler_text="Mystery spoilers")
    assert warned["spoiler_text"] == "Mystery spoilers"
    assert warned["sensitive"] is True
    flagged = api.status_post("just sensitive", sensitive=True)
    assert (flagged["spoiler_text"], flagged["sensitive"]) == ("", True)
    plain = api.status_post("nothing to hide", sensitive=False)
    assert plain["sensitive"] is False
    assert api.status(warned["id"])["spoiler_text"] == "Mystery spoilers"
    # Mastodon.py's own retry key: the same status again, not a second one.
    first = api.status_post("once", idempotency_key="mpy-1")
    again = api.status_post("once", idempotency_key="mpy-1")
    assert first["id"] == again["id"]
    me = api.account_verify_credentials()
    assert me["statuses_count"] == 4
    updated = api.account_update_credentials(display_name="Mister Py")
    assert updated["display_name"] == "Mister Py"


# Idempotency-Key ----------------------------------------------------------------------------


async def test_the_same_key_gives_the_same_status_and_posts_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token, me = await register(client, "fay")
    bob_token, bob = await register(client, "bob")
    first = await publish(client, token, {"status": "hi @bob"}, key="retry-1")
    again = await publish(client, token, {"status": "hi @bob"}, key="retry-1")
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["content"] == first.json()["content"]
    assert await count_posts(settings.database_url, me) == 1
    assert (await account(client, me))["statuses_count"] == 1
    # bob was mentioned, and notified, once.
    mentions = await client.get("/api/v1/notifications", headers=auth(bob_token))
    assert [n["type"] for n in mentions.json()] == ["mention"]
    # Another key, or none, is another status.
    other = await publish(client, token, {"status": "hi @bob"}, key="retry-2")
    plain = await publish(client, token, {"status": "hi @bob"})
    assert len({first.json()["id"], other.json()["id"], plain.json()["id"]}) == 3
    assert bob  # (mentioned above)


async def test_keys_are_per_account(client: httpx.AsyncClient) -> None:
    ann, _ = await register(client, "ann")
    ben, _ = await register(client, "ben")
    mine = await publish(client, ann, {"status": "same words"}, key="k")
    theirs = await publish(client, ben, {"status": "same words"}, key="k")
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["account"]["username"] == "ben"


async def test_concurrent_retries_with_one_key_make_one_post(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token, me = await register(client, "gus")
    responses = await asyncio.gather(
        *(publish(client, token, {"status": "racing"}, key="race") for _ in range(6))
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_posts(settings.database_url, me) == 1
    assert (await account(client, me))["statuses_count"] == 1
    keys = await rows(settings.database_url, "SELECT key FROM idempotency_keys")
    assert keys == [("race",)]


async def test_a_key_older_than_an_hour_is_free_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token, me = await register(client, "hal")
    first = (await publish(client, token, {"status": "daily"}, key="day")).json()
    await publish(client, token, {"status": "other"}, key="other")
    # An hour and a minute later (for both keys):
    await rows(
        settings.database_url,
        "UPDATE idempotency_keys SET created_at = now() - interval '61 minutes'",
    )
    later = await publish(client, token, {"status": "daily"}, key="day")
    assert later.status_code == 200
    assert later.json()["id"] != first["id"]
    assert await count_posts(settings.database_url, me) == 3
    # The stale keys of the account went when the new one came: only the new one is left.
    kept = await rows(settings.database_url, "SELECT key, post_id FROM idempotency_keys")
    assert kept == [("day", int(later.json()["id"]))]
    again = await publish(client, token, {"status": "daily"}, key="day")
    assert again.json()["id"] == later.json()["id"]


async def test_a_deleted_status_frees_its_key(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "ida")
    first = (await publish(client, token, {"status": "oops"}, key="k1")).json()
    deleted = await client.delete(f"/api/v1/statuses/{first['id']}", headers=auth(token))
    assert deleted.status_code == 200
    again = await publish(client, token, {"status": "oops"}, key="k1")
    assert again.status_code == 200
    assert again.json()["id"] != first["id"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("k" * 256, "Idempotency-Key is limited to 255 characters"),
        ("bad\x7fkey", "Idempotency-Key contains a character"),
    ],
)
async def test_bad_keys_are_refused(
    client: httpx.AsyncClient, settings: Settings, key: str, message: str
) -> None:
    token, me = await register(client, "jan")
    response = await publish(client, token, {"status": "x"}, key=key)
    assert response.status_code == 422
    assert response.json()["error"].startswith(message)
    assert await count_posts(settings.database_url, me) == 0
    fine = await publish(client, token, {"status": "x"}, key="k" * 255)
    assert fine.status_code == 200


@pytest.fixture
async def fanout_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the fanout strategy (no job worker: the jobs stay queued, to count)."""
    app: FastAPI = create_app(settings.replace(feed_strategy="fanout"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_a_retry_queues_no_second_fan_out(
    fanout_client: httpx.AsyncClient, settings: Settings
) -> None:
    token, _ = await register(fanout_client, "kim")
    jobs = "SELECT count(*) FROM procrastinate_jobs"
    outbox = "SELECT count(*) FROM feed_outbox"
    first = await publish(fanout_client, token, {"status": "fan me out"}, key="once")
    queued = (await rows(settings.database_url, jobs))[0][0]
    assert queued >= 1
    assert (await rows(settings.database_url, outbox))[0][0] == 1
    retries = await asyncio.gather(
        *(publish(fanout_client, token, {"status": "fan me out"}, key="once") for _ in range(3))
    )
    assert {r.json()["id"] for r in retries} == {first.json()["id"]}
    assert (await rows(settings.database_url, jobs))[0][0] == queued
    assert (await rows(settings.database_url, outbox))[0][0] == 1


# Display names ------------------------------------------------------------------------------


async def test_display_name_is_stored_trimmed_and_shown_in_the_account(
    client: httpx.AsyncClient,
) -> None:
    token, me = await register(client, "lea")
    await client.patch(
        "/api/v1/accounts/update_credentials", data={"note": "kept"}, headers=auth(token)
    )
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "  Léa <Writer>  "},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Léa <Writer>"
    assert response.json()["note"] == "<p>kept</p>"  # not sent: unchanged
    assert (await account(client, me))["display_name"] == "Léa <Writer>"
    status = await post(client, token, "signed")
    assert status["account"]["display_name"] == "Léa <Writer>"
    # Both at once, as JSON; then an empty one clears it (the username is shown again).
    both = await client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": "Lea", "note": "new"},
        headers=auth(token),
    )
    assert (both.json()["display_name"], both.json()["note"]) == ("Lea", "<p>new</p>")
    cleared = await client.patch(
        "/api/v1/accounts/update_credentials", data={"display_name": ""}, headers=auth(token)
    )
    assert cleared.json()["display_name"] == "lea"
    assert cleared.json()["note"] == "<p>new</p>"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 31, "Display name is limited to 30 characters"),
        ("two\nlines", "Display name must be one line"),
        ("nul\u0000", "display_name contains a character"),
        (7, "display_name must be text"),
    ],
)
async def test_bad_display_names_are_refused(
    client: httpx.AsyncClient, value: object, message: str
) -> None:
    token, me = await register(client, "max")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": value, "note": "not saved either"},
        headers=auth(token),
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith(message)
    found = await account(client, me)
    assert (found["display_name"], found["note"]) == ("max", "")


async def test_a_display_name_of_30_characters_is_fine(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "ned")
    response = await client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "é" * 30}, headers=auth(token)
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "é" * 30


# Hashtags -----------------------------------------------------------------------------------


async def test_hashtags_are_stored_in_tags_and_linked_in_the_content(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token, _ = await register(client, "olga")
    created = await post(client, token, "#Python and #python, #Rust; not#this nor #42")
    assert created["tags"] == [
        {"name": "python", "url": "http://testserver/tags/python"},
        {"name": "rust", "url": "http://testserver/tags/rust"},
    ]
    assert created["content"] == (
        '<p><a href="http://testserver/tags/python" class="mention hashtag" rel="tag">'
        '#<span>Python</span></a> and <a href="http://testserver/tags/python" '
        'class="mention hashtag" rel="tag">#<span>python</span></a>, '
        '<a href="http://testserver/tags/rust" class="mention hashtag" rel="tag">'
        "#<span>Rust</span></a>; not#this nor #42</p>"
    )
    stored = await rows(
        settings.database_url,
        "SELECT tag FROM post_tags WHERE post_id = %s ORDER BY tag",
        int(created["id"]),
    )
    assert stored == [("python",), ("rust",)]
    fetched = (await client.get(f"/api/v1/statuses/{created['id']}")).json()
    assert fetched["tags"] == created["tags"] and fetched["content"] == created["content"]
    plain = await post(client, token, "no tags")
    assert plain["tags"] == []


async def test_a_boost_carries_the_boosted_statuses_tags(client: httpx.AsyncClient) -> None:
    ann, _ = await register(client, "ann")
    ben, _ = await register(client, "ben")
    original = await post(client, ann, "#news today")
    boost = await client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=auth(ben))
    assert boost.status_code == 200
    assert boost.json()["tags"] == []
    assert boost.json()["reblog"]["tags"] == [
        {"name": "news", "url": "http://testserver/tags/news"}
    ]


async def test_account_statuses_tagged(client: httpx.AsyncClient) -> None:
    ann, ann_id = await register(client, "ann")
    ben, _ = await register(client, "ben")
    first = await post(client, ann, "#Cats are great")
    await post(client, ann, "dogs too")
    second = await post(client, ann, "more #cats and #dogs")
    other = await post(client, ben, "#cats of ben")
    # ann boosts ben's tagged post: a boost has no hashtags of its own, so it is not listed.
    await client.post(f"/api/v1/statuses/{other['id']}/reblog", headers=auth(ann))
    url = f"/api/v1/accounts/{ann_id}/statuses"
    for tagged in ("cats", "CATS", "#Cats", "\uff43\uff41\uff54\uff53"):
        found = await client.get(url, params={"tagged": tagged})
        assert found.status_code == 200, found.text
        assert ids(found.json()) == [second["id"], first["id"]], tagged
    dogs = await client.get(url, params={"tagged": "dogs"})
    assert ids(dogs.json()) == [second["id"]]
    for nothing in ("birds", "42", "not a tag"):
        found = await client.get(url, params={"tagged": nothing})
        assert (found.status_code, found.json()) == (200, []), nothing
    everything = await client.get(url, params={"tagged": ""})
    assert len(everything.json()) == 4  # empty: no filter
    paged = await client.get(url, params={"tagged": "cats", "limit": "1"})
    assert ids(paged.json()) == [second["id"]]
    assert "max_id" in paged.headers["Link"]
    unknown = await client.get("/api/v1/accounts/999999/statuses", params={"tagged": "42"})
    assert unknown.status_code == 404


async def test_account_statuses_exclude_replies_pinned_and_only_media(
    client: httpx.AsyncClient,
) -> None:
    ann, ann_id = await register(client, "ann")
    ben, _ = await register(client, "ben")
    theirs = await post(client, ben, "ben's")
    top = await post(client, ann, "top")
    to_self = await post(client, ann, "and more", in_reply_to_id=top["id"])
    to_ben = await post(client, ann, "@ben yes", in_reply_to_id=theirs["id"])
    url = f"/api/v1/accounts/{ann_id}/statuses"
    every = await client.get(url)
    assert ids(every.json()) == [to_ben["id"], to_self["id"], top["id"]]
    # Replies to others go; a thread of one's own stays (as on Mastodon).
    no_replies = await client.get(url, params={"exclude_replies": "true"})
    assert ids(no_replies.json()) == [to_self["id"], top["id"]]
    for flag in ("pinned", "only_media"):
        found = await client.get(url, params={flag: "true"})
        assert (found.status_code, found.json()) == (200, []), flag
        off = await client.get(url, params={flag: "false"})
        assert len(off.json()) == 3, flag
    bad = await client.get(url, params={"exclude_replies": "perhaps"})
    assert bad.status_code == 422
