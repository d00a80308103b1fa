"""Timelines through the JSON API: who sees what, and Mastodon's pagination."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import httpx
import pytest

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

TIMELINES = ("home", "following", "public", "account")


@dataclass
class Network:
    """A reader who follows two authors, and a stranger nobody follows."""

    tokens: dict[str, str]
    ids: dict[str, str]
    posts: dict[str, list[str]] = field(default_factory=dict)
    top_level: set[str] = field(default_factory=set)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    async def publish(
        self, client: httpx.AsyncClient, who: str, reply_to: str | None = None
    ) -> str:
        status = await post(client, self.tokens[who], f"{who} {next(self.counter)}", reply_to)
        self.posts.setdefault(who, []).append(status["id"])
        if reply_to is None:
            self.top_level.add(status["id"])
        return str(status["id"])

    def expected(self, timeline: str) -> list[str]:
        """What the timeline must show, newest first."""
        if timeline == "home":
            chosen = [*self.of("reader"), *self.of("friend"), *self.of("pal")]
        elif timeline == "following":
            chosen = [*self.of("friend"), *self.of("pal")]
        elif timeline == "public":
            chosen = list(self.top_level)
        else:
            chosen = self.of("friend")
        return newest_first(chosen)

    def of(self, who: str) -> list[str]:
        return self.posts.get(who, [])

    def url(self, timeline: str) -> str:
        if timeline == "account":
            return f"/api/v1/accounts/{self.ids['friend']}/statuses"
        return f"/api/v1/timelines/{timeline}"


async def make_network(client: httpx.AsyncClient) -> Network:
    tokens: dict[str, str] = {}
    account_ids: dict[str, str] = {}
    for name in ("reader", "friend", "pal", "stranger"):
        tokens[name], account_ids[name] = await register(client, name)
    await follow(client, tokens["reader"], account_ids["friend"])
    await follow(client, tokens["reader"], account_ids["pal"])
    return Network(tokens, account_ids)


async def fill(client: httpx.AsyncClient, net: Network, rounds: int) -> None:
    """Interleaved posts by everyone, with replies across the network."""
    for i in range(rounds):
        friend_post = await net.publish(client, "friend")
        await net.publish(client, "stranger")
        await net.publish(client, "reader")
        stranger_post = await net.publish(client, "stranger")
        if i % 2 == 0:
            await net.publish(client, "pal", reply_to=stranger_post)
            await net.publish(client, "reader", reply_to=friend_post)
            await net.publish(client, "friend")
        else:
            await net.publish(client, "pal")
            await net.publish(client, "friend", reply_to=stranger_post)


async def read(
    client: httpx.AsyncClient, url: str, token: str | None = None, **query: str | int
) -> httpx.Response:
    headers = auth(token) if token is not None else None
    response = await client.get(url, params=query or None, headers=headers)
    assert response.status_code == 200, response.text
    return response


# Who sees what -------------------------------------------------------------------------


async def test_each_timeline_shows_the_right_posts(client: httpx.AsyncClient) -> None:
    net = await make_network(client)
    await fill(client, net, 2)
    reader = net.tokens["reader"]

    home = (await read(client, "/api/v1/timelines/home", reader, limit=40)).json()
    assert ids(home) == net.expected("home")
    assert not set(ids(home)) & set(net.of("stranger"))
    assert {s["account"]["username"] for s in home} == {"reader", "friend", "pal"}
    assert any(s["in_reply_to_id"] is not None for s in home)

    following = (await read(client, "/api/v1/timelines/following", reader, limit=40)).json()
    assert ids(following) == net.expected("following")
    assert {s["account"]["username"] for s in following} == {"friend", "pal"}

    # The public timeline has every author's top-level posts, followed or not, without a token.
    public = (await read(client, "/api/v1/timelines/public", limit=40)).json()
    assert ids(public) == net.expected("public")
    assert all(s["in_reply_to_id"] is None for s in public)
    assert {s["account"]["username"] for s in public} == {"reader", "friend", "pal", "stranger"}
    with_token = await read(client, "/api/v1/timelines/public", reader, limit=40)
    assert ids(with_token.json()) == ids(public)

    # An account's statuses: its own posts and replies, whoever asks.
    friends = (await read(client, net.url("account"), limit=40)).json()
    assert ids(friends) == net.expected("account")
    assert {s["account"]["username"] for s in friends} == {"friend"}
    assert any(s["in_reply_to_id"] is not None for s in friends)
    as_reader = await read(client, net.url("account"), reader, limit=40)
    assert ids(as_reader.json()) == ids(friends)


async def test_follow_and_unfollow_change_the_home_timeline(client: httpx.AsyncClient) -> None:
    token_a, _ = await register(client, "anna")
    token_b, id_b = await register(client, "bert")
    mine = await post(client, token_a, "mine")
    theirs = await post(client, token_b, "theirs")

    home = await read(client, "/api/v1/timelines/home", token_a)
    assert ids(home.json()) == [mine["id"]]
    assert (await read(client, "/api/v1/timelines/following", token_a)).json() == []

    await follow(client, token_a, id_b)
    home = await read(client, "/api/v1/timelines/home", token_a)
    assert ids(home.json()) == [theirs["id"], mine["id"]]
    following = await read(client, "/api/v1/timelines/following", token_a)
    assert ids(following.json()) == [theirs["id"]]

    unfollowed = await client.post(f"/api/v1/accounts/{id_b}/unfollow", headers=auth(token_a))
    assert unfollowed.status_code == 200
    home = await read(client, "/api/v1/timelines/home", token_a)
    assert ids(home.json()) == [mine["id"]]
    assert (await read(client, "/api/v1/timelines/following", token_a)).json() == []


async def test_new_posts_show_up_at_the_top(client: httpx.AsyncClient) -> None:
    token_a, _ = await register(client, "cleo")
    token_b, id_b = await register(client, "dirk")
    await follow(client, token_a, id_b)
    await post(client, token_b, "older")
    before = await read(client, "/api/v1/timelines/home", token_a)
    newer = await post(client, token_b, "newer")
    after = await read(client, "/api/v1/timelines/home", token_a)
    assert ids(after.json())[0] == newer["id"]
    assert ids(after.json())[1:] == ids(before.json())
    public = await read(client, "/api/v1/timelines/public")
    assert ids(public.json())[0] == newer["id"]


async def test_empty_timelines_have_no_link_header(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "emma")
    for url in ("/api/v1/timelines/home", "/api/v1/timelines/following"):
        response = await read(client, url, token)
        assert response.json() == []
        assert "link" not in response.headers
    response = await read(client, "/api/v1/timelines/public")
    assert response.json() == []
    assert "link" not in response.headers


# Limits ----------------------------------------------------------------------------------


async def test_limit_defaults_to_20_and_is_capped_at_40(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "gail")
    created = [(await post(client, token, f"post {i}"))["id"] for i in range(45)]
    expected = newest_first(created)
    url = "/api/v1/timelines/home"

    assert ids((await read(client, url, token)).json()) == expected[:20]
    assert ids((await read(client, url, token, limit=1)).json()) == expected[:1]
    assert ids((await read(client, url, token, limit=40)).json()) == expected[:40]
    for too_many in (41, 100, 1000000, "99999999999999999999"):
        page = await read(client, url, token, limit=too_many)
        assert ids(page.json()) == expected[:40], too_many
    assert ids((await read(client, "/api/v1/timelines/public", limit=41)).json()) == expected[:40]


# Cursors and Link headers ---------------------------------------------------------------


async def test_link_header_has_next_and_prev_with_the_limit(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "hope")
    created = newest_first([(await post(client, token, f"p{i}"))["id"] for i in range(5)])
    first = await read(client, "/api/v1/timelines/home", token, limit=2)
    assert ids(first.json()) == created[:2]
    assert set(links(first)) == {"next", "prev"}
    next_url = links(first)["next"]
    assert next_url.startswith("http://testserver/api/v1/timelines/home?")
    assert link_params(first, "next") == {"limit": "2", "max_id": created[1]}
    assert link_params(first, "prev") == {"limit": "2", "min_id": created[0]}

    second = await client.get(relative(next_url), headers=auth(token))
    assert ids(second.json()) == created[2:4]
    third = await client.get(relative(links(second)["next"]), headers=auth(token))
    assert ids(third.json()) == created[4:]
    # The last page links back (prev) but not onwards (next).
    assert "next" not in links(third)
    assert link_params(third, "prev") == {"limit": "2", "min_id": created[4]}


async def test_no_next_link_when_the_page_ends_exactly(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "ines")
    created = newest_first([(await post(client, token, f"p{i}"))["id"] for i in range(4)])
    first = await read(client, "/api/v1/timelines/home", token, limit=2)
    assert "next" in links(first)
    second = await client.get(relative(links(first)["next"]), headers=auth(token))
    assert ids(second.json()) == created[2:]
    assert "next" not in links(second)
    whole = await read(client, "/api/v1/timelines/home", token, limit=4)
    assert ids(whole.json()) == created
    assert "next" not in links(whole)


async def test_max_id_since_id_and_min_id(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "june")
    created = [(await post(client, token, f"p{i}"))["id"] for i in range(7)]  # oldest first
    url = "/api/v1/timelines/home"
    desc = newest_first(created)

    older = await read(client, url, token, max_id=created[4])
    assert ids(older.json()) == newest_first(created[:4])

    newer = await read(client, url, token, since_id=created[2])
    assert ids(newer.json()) == newest_first(created[3:])
    # since_id with a small limit: the newest ones (a gap may remain below them).
    newest = await read(client, url, token, since_id=created[2], limit=2)
    assert ids(newest.json()) == [created[6], created[5]]

    # min_id with a small limit: the posts right after min_id, still newest first.
    right_after = await read(client, url, token, min_id=created[2], limit=2)
    assert ids(right_after.json()) == [created[4], created[3]]
    assert link_params(right_after, "prev")["min_id"] == created[4]
    assert link_params(right_after, "next")["max_id"] == created[3]
    everything_after = await read(client, url, token, min_id=created[2])
    assert ids(everything_after.json()) == newest_first(created[3:])

    between = await read(client, url, token, max_id=created[5], since_id=created[1])
    assert ids(between.json()) == newest_first(created[2:5])
    assert ids((await read(client, url, token, min_id=created[6])).json()) == []
    assert ids((await read(client, url, token, max_id=created[0])).json()) == []
    # A cursor far beyond every id is fine.
    assert ids((await read(client, url, token, max_id=str(2**62))).json()) == desc[:20]


async def test_min_id_paging_walks_forward_without_gaps(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "kira")
    created = [(await post(client, token, f"p{i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = created[0]
    for _ in range(10):
        page = await read(client, "/api/v1/timelines/home", token, min_id=cursor, limit=3)
        batch = ids(page.json())
        if not batch:
            break
        assert batch == newest_first(batch)
        seen = batch + seen
        cursor = link_params(page, "prev")["min_id"]
    assert seen == newest_first(created[1:])


@pytest.mark.parametrize("timeline", TIMELINES)
async def test_walking_next_links_returns_every_post_once_while_posts_arrive(
    client: httpx.AsyncClient, timeline: str
) -> None:
    net = await make_network(client)
    await fill(client, net, 5)
    expected = net.expected(timeline)
    assert len(expected) > 9

    async def more_posts() -> None:
        # Between page reads, everyone keeps posting and replying.
        new_top = await net.publish(client, "friend")
        await net.publish(client, "reader", reply_to=new_top)
        await net.publish(client, "pal")
        await net.publish(client, "stranger")

    token = None if timeline in ("public", "account") else net.tokens["reader"]
    headers = auth(token) if token is not None else None
    seen = await walk(client, f"{net.url(timeline)}?limit=3", headers, between_pages=more_posts)
    assert seen == expected
    assert len(seen) == len(set(seen))


async def test_since_id_and_min_id_return_what_arrived(client: httpx.AsyncClient) -> None:
    net = await make_network(client)
    await fill(client, net, 1)
    tokens = {t: None if t in ("public", "account") else net.tokens["reader"] for t in TIMELINES}
    firsts = {t: await read(client, net.url(t), tokens[t], limit=3) for t in TIMELINES}
    before = {t: set(net.expected(t)) for t in TIMELINES}

    await fill(client, net, 2)
    for timeline in TIMELINES:
        url, token, first = net.url(timeline), tokens[timeline], firsts[timeline]
        top = ids(first.json())[0]
        arrived = [i for i in net.expected(timeline) if i not in before[timeline]]
        assert len(arrived) >= 3, timeline
        assert all(int(i) > int(top) for i in arrived), timeline

        since = await read(client, url, token, since_id=top, limit=40)
        assert ids(since.json()) == arrived, timeline
        since_few = await read(client, url, token, since_id=top, limit=2)
        assert ids(since_few.json()) == arrived[:2], timeline
        min_few = await read(client, url, token, min_id=top, limit=2)
        assert ids(min_few.json()) == arrived[-2:], timeline
        min_all = await read(client, url, token, min_id=top, limit=40)
        assert ids(min_all.json()) == arrived, timeline
        # The first page's prev link asks for exactly what came right after it.
        prev = await read(client, relative(links(first)["prev"]), token)
        assert ids(prev.json()) == arrived[-3:], timeline
        # Nothing older leaks into since_id / min_id answers.
        assert not set(ids(min_all.json())) & before[timeline], timeline


async def test_walking_with_a_deleted_post_between_pages(client: httpx.AsyncClient) -> None:
    token, _ = await register(client, "lola")
    created = newest_first([(await post(client, token, f"p{i}"))["id"] for i in range(8)])
    first = await read(client, "/api/v1/timelines/home", token, limit=3)
    assert ids(first.json()) == created[:3]
    # A post on the next page disappears before it is read.
    await client.delete(f"/api/v1/statuses/{created[4]}", headers=auth(token))

    rest = await walk(client, relative(links(first)["next"]), auth(token))
    assert rest == [i for i in created[3:] if i != created[4]]


async def test_min_id_page_has_no_next_link_when_nothing_older_exists(
    client: httpx.AsyncClient,
) -> None:
    # min_id names a post that is not in this timeline (the reader's own, on "following").
    token_a, _ = await register(client, "nell")
    token_b, id_b = await register(client, "otto")
    await follow(client, token_a, id_b)
    own = await post(client, token_a, "mine, not in my following timeline")
    theirs = [(await post(client, token_b, f"t{i}"))["id"] for i in range(2)]
    page = await read(client, "/api/v1/timelines/following", token_a, min_id=own["id"])
    assert ids(page.json()) == newest_first(theirs)
    older = await read(client, "/api/v1/timelines/following", token_a, max_id=theirs[0])
    assert older.json() == []
    assert "next" not in links(page)
