"""Search and hashtags through the JSON API: /api/v2/search (accounts by name prefix, posts by
full text among those the caller may see, hashtags by prefix), /api/v1/accounts/search,
/api/v1/timelines/tag/{hashtag} with its cursors and Link headers, and /api/v1/tags/{name}."""

from __future__ import annotations

import re
from typing import Any

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from microblog import passwords
from microblog.runtime import Runtime
from microblog.store import search as store_search
from microblog.store.db import OPTIONS, ordered
from microblog.store.queries import load
from tests.api.helpers import (
    auth,
    follow,
    ids,
    link_params,
    links,
    newest_first,
    post,
    register,
    relative,
    walk,
)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups with argon2's cheapest settings: these tests sign many people up."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


async def search(
    client: httpx.AsyncClient, token: str | None = None, **query: Any
) -> dict[str, Any]:
    """GET /api/v2/search (with the token, when given); the Search entity."""
    headers = auth(token) if token else {}
    response = await client.get("/api/v2/search", params=query, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    assert set(found) == {"accounts", "statuses", "hashtags"}
    return found


def names(found: list[dict[str, Any]]) -> list[str]:
    return [a["username"] for a in found]


async def publish(
    client: httpx.AsyncClient, token: str, text: str, visibility: str = "public"
) -> str:
    """A status's id."""
    data = {"status": text, "visibility": visibility}
    response = await client.post("/api/v1/statuses", data=data, headers=auth(token))
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def act(client: httpx.AsyncClient, token: str, path: str) -> None:
    response = await client.post(path, headers=auth(token))
    assert response.status_code == 200, response.text


async def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


# Accounts ---------------------------------------------------------------------------------


async def test_accounts_by_username_prefix_any_case(client: httpx.AsyncClient) -> None:
    for name in ("alice", "Alicia", "albert", "bob"):
        await register(client, name)
    found = await search(client, q="ALI", type="accounts")
    assert sorted(names(found["accounts"])) == ["Alicia", "alice"]
    found = await search(client, q="al", type="accounts")
    assert sorted(names(found["accounts"])) == ["Alicia", "albert", "alice"]
    assert found["statuses"] == [] and found["hashtags"] == []
    assert (await search(client, q="zed"))["accounts"] == []
    # LIKE's wildcards are plain characters in a search.
    assert (await search(client, q="a%", type="accounts"))["accounts"] == []
    assert (await search(client, q="_", type="accounts"))["accounts"] == []
    await register(client, "a_b")
    assert names((await search(client, q="a_", type="accounts"))["accounts"]) == ["a_b"]


async def test_the_exact_name_first_then_the_most_followed(client: httpx.AsyncClient) -> None:
    tokens = {}
    for name in ("annabel", "anna", "annika", "fan1", "fan2"):
        tokens[name], _ = await register(client, name)
    for lookup_name, fans in (("annabel", ["fan1", "fan2"]), ("annika", ["fan1"])):
        target = await client.get("/api/v1/accounts/lookup", params={"acct": lookup_name})
        for fan in fans:
            await follow(client, tokens[fan], target.json()["id"])
    found = await search(client, q="anna", type="accounts")
    assert names(found["accounts"]) == ["anna", "annabel"]
    found = await search(client, q="ann", type="accounts")
    assert names(found["accounts"]) == ["annabel", "annika", "anna"]
    found = await search(client, q="Annika", type="accounts")
    assert names(found["accounts"])[0] == "annika"


async def test_accounts_by_display_name_prefix(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "ada")
    await register(client, "lovelace_fan")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Countess Lovelace"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    found = await search(client, q="countess lo", type="accounts")
    assert names(found["accounts"]) == ["ada"]
    assert found["accounts"][0]["display_name"] == "Countess Lovelace"
    # The username's prefix or the display name's, not a word inside either.
    assert names((await search(client, q="love", type="accounts"))["accounts"]) == ["lovelace_fan"]


async def test_at_name_and_name_at_this_host_find_that_account_only(
    client: httpx.AsyncClient,
) -> None:
    for name in ("sam", "samantha", "samuel"):
        await register(client, name)
    assert names((await search(client, q="@sam"))["accounts"]) == ["sam"]
    assert names((await search(client, q="@SAM"))["accounts"]) == ["sam"]
    assert names((await search(client, q="sam@testserver"))["accounts"]) == ["sam"]
    assert names((await search(client, q="@sam@TestServer"))["accounts"]) == ["sam"]
    # Another server's account: nothing federates here.
    assert (await search(client, q="sam@elsewhere.example"))["accounts"] == []
    assert (await search(client, q="@nobody"))["accounts"] == []
    assert len((await search(client, q="sam"))["accounts"]) == 3


async def test_following_restricts_to_followed_accounts(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "reader")
    _, kim_id = await register(client, "kim")
    await register(client, "kimberly")
    await follow(client, token, kim_id)
    found = await search(client, token, q="kim", type="accounts", following="true")
    assert names(found["accounts"]) == ["kim"]
    found = await search(client, token, q="@kimberly", following="true")
    assert found["accounts"] == []
    # A visitor follows nobody.
    assert (await search(client, q="kim", following="true"))["accounts"] == []


async def test_accounts_paging_with_limit_and_offset(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await register(client, f"page{i}")
    token, _ = await register(client, "reader")
    first = await search(client, token, q="page", type="accounts", limit=2)
    second = await search(client, token, q="page", type="accounts", limit=2, offset=2)
    third = await search(client, token, q="page", type="accounts", limit=2, offset=4)
    pages = [names(p["accounts"]) for p in (first, second, third)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(name for page in pages for name in page) == [f"page{i}" for i in range(5)]
    # A visitor gets the first page only.
    assert len((await search(client, q="page", type="accounts", limit=2))["accounts"]) == 2
    later = await search(client, q="page", type="accounts", limit=2, offset=2)
    assert later == {"accounts": [], "statuses": [], "hashtags": []}


async def test_v1_accounts_search(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "reader")
    _, zoe_id = await register(client, "zoe")
    for name in ("zoey", "zora"):
        await register(client, name)
    response = await client.get("/api/v1/accounts/search", params={"q": "zo"})
    assert response.status_code == 200, response.text
    assert sorted(a["username"] for a in response.json()) == ["zoe", "zoey", "zora"]
    paged = {"q": "zo", "limit": "1", "offset": "1", "resolve": "true"}
    response = await client.get("/api/v1/accounts/search", params=paged, headers=auth(token))
    assert response.status_code == 200 and len(response.json()) == 1
    # A visitor gets the first page only.
    assert (await client.get("/api/v1/accounts/search", params=paged)).json() == []
    await follow(client, token, zoe_id)
    response = await client.get(
        "/api/v1/accounts/search", params={"q": "zo", "following": "true"}, headers=auth(token)
    )
    assert [a["username"] for a in response.json()] == ["zoe"]
    response = await client.get("/api/v1/accounts/search", params={"q": ""})
    assert response.status_code == 422
    # Still one account by id, as before.
    assert (await client.get(f"/api/v1/accounts/{zoe_id}")).json()["username"] == "zoe"


# Statuses ---------------------------------------------------------------------------------


async def test_statuses_by_full_text_newest_first(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "writer")
    first = await publish(client, token, "The quick brown fox")
    second = await publish(client, token, "a QUICK lunch, then more quick work")
    await publish(client, token, "nothing to see")
    found = await search(client, token, q="quick", type="statuses")
    assert ids(found["statuses"]) == [second, first]
    assert found["accounts"] == [] and found["hashtags"] == []
    # Web-search syntax: phrases, exclusions, or.
    assert ids((await search(client, token, q='"brown fox"'))["statuses"]) == [first]
    assert ids((await search(client, token, q="quick -fox"))["statuses"]) == [second]
    both = await search(client, token, q="fox or lunch", type="statuses")
    assert ids(both["statuses"]) == [second, first]
    # Syntax errors of a query are no errors.
    for odd in ("'", '"', "-", "a & | ! b", "(:*)", "fox:*"):
        await search(client, token, q=odd, type="statuses")


async def test_statuses_need_a_token(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "writer")
    await publish(client, token, "searchable words")
    assert (await search(client, q="searchable"))["statuses"] == []
    assert len((await search(client, token, q="searchable"))["statuses"]) == 1


async def test_private_and_direct_posts_only_for_their_audience(
    client: httpx.AsyncClient,
) -> None:
    author, author_id = await register(client, "author")
    follower, _ = await register(client, "follower")
    mentioned, _ = await register(client, "mentioned")
    stranger, _ = await register(client, "stranger")
    await follow(client, follower, author_id)
    public = await publish(client, author, "secret plans, public")
    unlisted = await publish(client, author, "secret plans, unlisted", "unlisted")
    private = await publish(client, author, "secret plans, private", "private")
    direct = await publish(client, author, "secret plans, direct @mentioned", "direct")

    async def found_by(token: str) -> list[str]:
        return ids((await search(client, token, q="secret plans", type="statuses"))["statuses"])

    assert await found_by(author) == [direct, private, unlisted, public]
    assert await found_by(follower) == [private, unlisted, public]
    assert await found_by(mentioned) == [direct, unlisted, public]
    assert await found_by(stranger) == [unlisted, public]


async def test_blocked_and_muted_authors_are_not_found(client: httpx.AsyncClient) -> None:
    reader, _ = await register(client, "reader")
    muted, muted_id = await register(client, "muted")
    blocked, blocked_id = await register(client, "blocked")
    blocker, _ = await register(client, "blocker")
    other, _ = await register(client, "other")
    for token in (muted, blocked, blocker, other):
        await publish(client, token, "hidden gems")
    await act(client, reader, f"/api/v1/accounts/{muted_id}/mute")
    await act(client, reader, f"/api/v1/accounts/{blocked_id}/block")
    reader_id = (await client.get("/api/v1/accounts/lookup", params={"acct": "reader"})).json()
    await act(client, blocker, f"/api/v1/accounts/{reader_id['id']}/block")
    found = await search(client, reader, q="gems", type="statuses")
    assert [s["account"]["username"] for s in found["statuses"]] == ["other"]
    # Accounts stay findable by name (toot's unblock and unmute find them so).
    assert names((await search(client, reader, q="@muted"))["accounts"]) == ["muted"]


async def test_boosts_are_not_found_twice_and_account_id_restricts(
    client: httpx.AsyncClient,
) -> None:
    ann, ann_id = await register(client, "ann")
    ben, ben_id = await register(client, "ben")
    ann_post = await publish(client, ann, "shared umbrella")
    ben_post = await publish(client, ben, "my umbrella")
    await act(client, ben, f"/api/v1/statuses/{ann_post}/reblog")
    found = await search(client, ben, q="umbrella", type="statuses")
    assert ids(found["statuses"]) == [ben_post, ann_post]
    assert all(s["reblog"] is None for s in found["statuses"])
    only_ann = await search(client, ben, q="umbrella", account_id=ann_id)
    assert ids(only_ann["statuses"]) == [ann_post]
    only_ben = await search(client, ben, q="umbrella", account_id=ben_id, type="statuses")
    assert ids(only_ben["statuses"]) == [ben_post]
    # The reader's own flags are on the found statuses.
    assert [s["reblogged"] for s in found["statuses"]] == [False, True]


async def test_statuses_paging_limit_offset_and_ids(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "writer")
    posted = [await publish(client, token, f"lots of words {i}") for i in range(45)]
    newest = newest_first(posted)
    assert ids((await search(client, token, q="words"))["statuses"]) == newest[:20]
    capped = await search(client, token, q="words", limit=1000, type="statuses")
    assert ids(capped["statuses"]) == newest[:40]
    pages = [
        ids((await search(client, token, q="words", limit=20, offset=o))["statuses"])
        for o in (0, 20, 40)
    ]
    assert [i for page in pages for i in page] == newest
    below = await search(client, token, q="words", max_id=newest[10], limit=5)
    assert ids(below["statuses"]) == newest[11:16]
    above = await search(client, token, q="words", min_id=newest[3], limit=5)
    assert ids(above["statuses"]) == newest[:3]


async def test_links_to_this_servers_posts_and_accounts(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "writer")
    stranger, _ = await register(client, "stranger")
    public = await publish(client, token, "a post to link to")
    private = await publish(client, token, "followers only", "private")
    found = await search(client, stranger, q=f"http://testserver/posts/{public}", resolve="true")
    assert ids(found["statuses"]) == [public] and found["accounts"] == []
    hidden = await search(client, stranger, q=f"http://testserver/posts/{private}")
    assert hidden["statuses"] == []
    mine = await search(client, token, q=f"http://testserver/posts/{private}")
    assert ids(mine["statuses"]) == [private]
    assert names((await search(client, q="http://testserver/@writer"))["accounts"]) == ["writer"]
    assert names((await search(client, q="http://testserver/users/Writer"))["accounts"]) == [
        "writer"
    ]
    elsewhere = await search(client, token, q=f"https://elsewhere.example/posts/{public}")
    assert elsewhere == {"accounts": [], "statuses": [], "hashtags": []}


# Hashtags ---------------------------------------------------------------------------------


async def test_hashtags_by_prefix_with_the_exact_one_first(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "tagger")
    await publish(client, token, "#Python is fun")
    for i in range(3):
        await publish(client, token, f"more #pythonista {i}")
    await publish(client, token, "#pythonic, #py")
    found = await search(client, q="#python", type="hashtags")
    assert [t["name"] for t in found["hashtags"]] == ["python", "pythonista", "pythonic"]
    assert found["hashtags"][0] == {
        "id": "python",
        "name": "python",
        "url": "http://testserver/tags/python",
        "history": [],
        "following": False,
    }
    found = await search(client, q="PY", type="hashtags")
    assert [t["name"] for t in found["hashtags"]] == ["py", "pythonista", "python", "pythonic"]
    paged = await search(client, token, q="py", type="hashtags", limit=2, offset=2)
    assert [t["name"] for t in paged["hashtags"]] == ["python", "pythonic"]
    assert (await search(client, q="#nothing"))["hashtags"] == []
    # A hashtag only private posts carry is theirs: not found, and not counted.
    for _ in range(2):
        await publish(client, token, "#pythonsecret and #pythonic", "private")
    assert [t["name"] for t in (await search(client, q="#pyth"))["hashtags"]] == [
        "pythonista",
        "python",
        "pythonic",
    ]
    assert (await client.get("/api/v1/tags/pythonsecret")).status_code == 200
    # A link to a hashtag's page finds it.
    linked = await search(client, q="http://testserver/tags/Python")
    assert [t["name"] for t in linked["hashtags"]] == ["python"]


async def test_tag_entity(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tags/Rust")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "rust",
        "name": "rust",
        "url": "http://testserver/tags/rust",
        "history": [],
        "following": False,
    }
    for bad in ("no%20way", "12345", "x" * 101, "a-b"):
        response = await client.get(f"/api/v1/tags/{bad}")
        assert response.status_code == 404, (bad, response.text)
        assert "hashtag" in response.json()["error"]


# Tag timelines ----------------------------------------------------------------------------


async def test_tag_timeline_pages_with_link_headers(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "tagger")
    tagged = [await publish(client, token, f"#Cats number {i}") for i in range(5)]
    await publish(client, token, "no tag here, cats")
    newest = newest_first(tagged)
    response = await client.get("/api/v1/timelines/tag/cats", params={"limit": 2})
    assert response.status_code == 200, response.text
    assert ids(response.json()) == newest[:2]
    assert link_params(response, "next") == {"limit": "2", "max_id": newest[1]}
    assert link_params(response, "prev") == {"limit": "2", "min_id": newest[0]}
    assert links(response)["next"].startswith("http://testserver/api/v1/timelines/tag/cats?")
    assert await walk(client, "/api/v1/timelines/tag/CATS?limit=2") == newest
    # The last page has no next link.
    last = await client.get("/api/v1/timelines/tag/cats", params={"max_id": newest[3]})
    assert ids(last.json()) == newest[4:] and "next" not in links(last)
    # min_id: the page just above; since_id: the newest ones above.
    above = await client.get("/api/v1/timelines/tag/cats", params={"min_id": newest[4], "limit": 2})
    assert ids(above.json()) == newest[2:4]
    assert link_params(above, "next") == {"limit": "2", "max_id": newest[3]}
    since = await client.get(
        "/api/v1/timelines/tag/cats", params={"since_id": newest[4], "limit": 2}
    )
    assert ids(since.json()) == newest[:2]
    # Nothing above the newest: an empty page, no links.
    empty = await client.get("/api/v1/timelines/tag/cats", params={"min_id": newest[0]})
    assert empty.json() == [] and "Link" not in empty.headers
    # The # may be sent encoded, as some clients do.
    encoded = await client.get("/api/v1/timelines/tag/%23cats")
    assert ids(encoded.json()) == newest[:5]


async def test_tag_timeline_shows_public_posts_only(client: httpx.AsyncClient) -> None:
    author, author_id = await register(client, "author")
    follower, _ = await register(client, "follower")
    await follow(client, follower, author_id)
    public = await publish(client, author, "#news public")
    for visibility in ("unlisted", "private", "direct"):
        await publish(client, author, f"#news {visibility}", visibility)
    reply = await post(client, author, "#news a reply", in_reply_to_id=public)
    for headers in ({}, auth(author), auth(follower)):
        response = await client.get("/api/v1/timelines/tag/news", headers=headers)
        assert ids(response.json()) == [reply["id"], public]


async def test_tag_timeline_leaves_out_hidden_authors(client: httpx.AsyncClient) -> None:
    reader, _ = await register(client, "reader")
    muted, muted_id = await register(client, "muted")
    blocked, blocked_id = await register(client, "blocked")
    other, _ = await register(client, "other")
    shown = await publish(client, other, "#art by other")
    await publish(client, muted, "#art by muted")
    await publish(client, blocked, "#art by blocked")
    await act(client, reader, f"/api/v1/accounts/{muted_id}/mute")
    await act(client, reader, f"/api/v1/accounts/{blocked_id}/block")
    response = await client.get("/api/v1/timelines/tag/art", headers=auth(reader))
    assert ids(response.json()) == [shown]
    assert len((await client.get("/api/v1/timelines/tag/art")).json()) == 3


async def test_tag_timeline_any_all_none(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "tagger")
    a = await publish(client, token, "#red")
    ab = await publish(client, token, "#red #blue")
    b = await publish(client, token, "#blue")
    abc = await publish(client, token, "#red #blue #green")
    c = await publish(client, token, "#green")

    async def timeline(query: list[tuple[str, str]]) -> list[str]:
        response = await client.get("/api/v1/timelines/tag/red", params=query)
        assert response.status_code == 200, response.text
        return ids(response.json())

    assert await timeline([]) == [abc, ab, a]
    assert await timeline([("any[]", "blue")]) == [abc, b, ab, a]
    assert await timeline([("any[]", "blue"), ("any[]", "green")]) == [c, abc, b, ab, a]
    assert await timeline([("all[]", "blue")]) == [abc, ab]
    assert await timeline([("all[]", "blue"), ("all[]", "green")]) == [abc]
    assert await timeline([("none[]", "green")]) == [ab, a]
    assert await timeline([("any[]", "blue"), ("none[]", "green")]) == [b, ab, a]
    # Paging the union: the filters ride along in the links.
    response = await client.get(
        "/api/v1/timelines/tag/red", params=[("any[]", "blue"), ("limit", "2")]
    )
    assert ids(response.json()) == [abc, b]
    next_page = await client.get(relative(links(response)["next"]))
    assert ids(next_page.json()) == [ab, a]
    assert "any%5B%5D=blue" in links(response)["next"]
    # Media and other servers: none here.
    for flag in ("only_media", "remote"):
        response = await client.get("/api/v1/timelines/tag/red", params={flag: "true"})
        assert response.status_code == 200 and response.json() == []
    local = await client.get("/api/v1/timelines/tag/red", params={"local": "true"})
    assert ids(local.json()) == [abc, ab, a]


async def test_tag_timeline_errors(client: httpx.AsyncClient) -> None:
    for bad in ("12345", "a-b", "x" * 101):
        response = await client.get(f"/api/v1/timelines/tag/{bad}")
        assert response.status_code == 404, (bad, response.text)
    response = await client.get("/api/v1/timelines/tag/fine", params={"any[]": "not one"})
    assert response.status_code == 422
    assert response.json() == {"error": "any[] holds 'not one', which is not a hashtag"}
    many = [("all[]", f"t{i}") for i in range(11)]
    response = await client.get("/api/v1/timelines/tag/fine", params=many)
    assert response.status_code == 422 and "at most 10" in response.json()["error"]
    for query in ({"max_id": "x"}, {"limit": "0"}, {"local": "maybe"}):
        response = await client.get("/api/v1/timelines/tag/fine", params=query)
        assert response.status_code == 422, query
    assert (await client.get("/api/v1/timelines/tag/unused")).json() == []


# Errors and scopes ------------------------------------------------------------------------


async def test_bad_search_parameters_are_422(client: httpx.AsyncClient) -> None:
    cases = [
        ({}, "Type something to search for (q is required)"),
        ({"q": ""}, "Type something to search for (q is required)"),
        ({"q": "   "}, "Type something to search for (q is required)"),
        ({"q": "x" * 501}, "The search is too long (at most 500 characters)"),
        ({"q": "a", "type": "people"}, "type must be accounts, statuses or hashtags"),
        ({"q": "a", "limit": "none"}, "limit must be a positive integer (at most 40 are served)"),
        ({"q": "a", "offset": "-1"}, "offset must be a whole number from 0 to 10000"),
        ({"q": "a", "offset": "10001"}, "offset must be a whole number from 0 to 10000"),
        ({"q": "a", "resolve": "perhaps"}, "resolve must be true or false"),
        ({"q": "a", "following": "2"}, "following must be true or false"),
    ]
    for query, message in cases:
        response = await client.get("/api/v2/search", params=query)
        assert response.status_code == 422, (query, response.text)
        assert response.json() == {"error": message}, query
    response = await client.get("/api/v2/search", params={"q": "a", "account_id": "me"})
    assert response.status_code == 422 and "account_id" in response.json()["error"]
    response = await client.get("/api/v2/search", params={"q": "a\x00"})
    assert response.status_code == 422


async def test_scopes(client: httpx.AsyncClient, app: FastAPI) -> None:
    token, account_id = await register(client, "scoped")
    await publish(client, token, "scoped words")
    microblog = (await runtime_of(app)).microblog
    narrow = (await microblog.issue_token(int(account_id), "read:accounts")).access_token
    response = await client.get("/api/v2/search", params={"q": "words"}, headers=auth(narrow))
    assert response.status_code == 403 and "read:search" in response.json()["error"]
    search_only = (await microblog.issue_token(int(account_id), "read:search")).access_token
    found = await search(client, search_only, q="words")
    assert len(found["statuses"]) == 1
    response = await client.get(
        "/api/v1/accounts/search", params={"q": "scoped"}, headers=auth(narrow)
    )
    assert response.status_code == 200 and len(response.json()) == 1
    response = await client.get(
        "/api/v1/accounts/search", params={"q": "scoped"}, headers=auth(search_only)
    )
    assert response.status_code == 403
    response = await client.get("/api/v1/timelines/tag/x", headers=auth(search_only))
    assert response.status_code == 403
    response = await client.get("/api/v2/search", params={"q": "a"}, headers=auth("wrong"))
    assert response.status_code == 401


# The indexes serve the searches ----------------------------------------------------------

VALUES: dict[str, Any] = {
    "reader_id": 1,
    "following": False,
    "limit": 20,
    "offset": 0,
    "q": "words",
    "account_id": None,
    "above": 0,
    "below": 2**63 - 1,
    "tag": "cats",
    "all": [],
    "none": [],
}


def _generic(text: str) -> tuple[str, list[str]]:
    """A query's named placeholders as $1, $2, … (to PREPARE it), and their names in order."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, text), order


@pytest.mark.parametrize(
    ("block", "indexes"),
    [
        ("accounts", ["users_username_prefix", "users_display_name_prefix"]),
        ("hashtags", ["post_tags_pkey"]),
        ("statuses", ["posts_content_fts"]),
        ("tag_timeline", ["Index Only Scan Backward using post_tags_pkey"]),
    ],
)
async def test_the_indexes_serve_generic_plans(
    runtime: Runtime, block: str, indexes: list[str]
) -> None:
    """Every connection plans generically (``force_generic_plan``), and a LIKE whose pattern
    is a parameter can use no index in a generic plan: the prefix searches state their
    range too. A prepared statement's plan shows what a generic plan can use."""
    sql = load("search")[block]
    bounds = store_search.prefix_range("al")
    assert bounds is not None
    values = {**VALUES, "low": bounds[0], "high": bounds[1], "pattern": "al%", "exact": "al"}
    url = runtime.settings.database_url
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, options=OPTIONS, cursor_factory=psycopg.AsyncClientCursor
    ) as conn:
        text = ordered(sql, True).as_string(conn)
        prepared, names = _generic(text)
        await conn.execute("SET enable_seqscan = off")
        await conn.execute(f"PREPARE search_plan AS {prepared}".encode())
        slots = ", ".join(["%s"] * len(names))
        cursor = await conn.execute(
            f"EXPLAIN EXECUTE search_plan({slots})".encode(), [values[n] for n in names]
        )
        plan = "\n".join(row[0] for row in await cursor.fetchall())
    assert "$1" in plan  # generic: the parameters are not known when planning
    for index in indexes:
        assert index in plan, plan


def test_prefix_ranges() -> None:
    assert store_search.prefix_range("ab") == ("ab", "ac")
    assert store_search.prefix_range("a\U0010ffff") == ("a\U0010ffff", "b")
    assert store_search.prefix_range("\ud7ff") == ("\ud7ff", "\ue000")
    assert store_search.prefix_range("") is None
    assert store_search.like_prefix("50%_off\\") == "50\\%\\_off\\\\%"


async def test_a_word_search_does_not_walk_the_posts(runtime: Runtime) -> None:
    """Through the GIN index, whatever the generic plan guesses: walking the primary key
    backwards would test every post's text for a word that no post has."""
    async with runtime.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO users (username, password_digest) VALUES ('many', 'x');"
            "INSERT INTO posts (author_id, content) "
            "SELECT 1, 'common words ' || g FROM generate_series(1, 20000) g;"
            "ANALYZE users; ANALYZE posts"
        )
    url = runtime.settings.database_url
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, options=OPTIONS, cursor_factory=psycopg.AsyncClientCursor
    ) as conn:
        prepared, names = _generic(ordered(load("search")["statuses"], True).as_string(conn))
        await conn.execute(f"PREPARE word_search AS {prepared}".encode())
        slots = ", ".join(["%s"] * len(names))
        values = {**VALUES, "q": "absent"}
        cursor = await conn.execute(
            f"EXPLAIN EXECUTE word_search({slots})".encode(), [values[n] for n in names]
        )
        plan = "\n".join(row[0] for row in await cursor.fetchall())
    assert "posts_content_fts" in plan and "posts_pkey" not in plan, plan
