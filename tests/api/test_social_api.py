"""The social API in process: visibility on every read path, mentions, favourites, boosts,
bookmarks, Mastodon's boost rule in home timelines, blocks, mutes and notifications.

Each test drives the JSON API only (the ASGI ``client``), as a Mastodon client would, and
reads the effect back through the API's read paths: home and public timelines, account
statuses, a status, its context, the lists and notifications.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from microblog.app import create_app
from microblog.settings import Settings
from tests.api.helpers import auth, ids, link_params, links, relative, walk
from tests.conftest import flush_cache


@dataclass(frozen=True)
class Person:
    """A signed-up account: its name, id and bearer token."""

    name: str
    id: str
    token: str

    @property
    def h(self) -> dict[str, str]:
        return auth(self.token)


class Net:
    """The API calls the tests make, each asserting its expected status."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def person(self, name: str) -> Person:
        response = await self.client.post(
            "/api/v1/accounts", data={"username": name, "password": "correct horse battery"}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = await self.client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
        return Person(name, me.json()["id"], token)

    async def people(self, *names: str) -> list[Person]:
        return [await self.person(name) for name in names]

    async def post(
        self,
        who: Person,
        text: str,
        visibility: str | None = None,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        data = {"status": text}
        if visibility is not None:
            data["visibility"] = visibility
        if reply_to is not None:
            data["in_reply_to_id"] = reply_to
        response = await self.client.post("/api/v1/statuses", data=data, headers=who.h)
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        return status

    async def act(
        self, who: Person, status_id: str, verb: str, expect: int = 200
    ) -> dict[str, Any]:
        """POST /statuses/:id/<verb> (favourite, reblog, bookmark and their undos)."""
        response = await self.client.post(f"/api/v1/statuses/{status_id}/{verb}", headers=who.h)
        assert response.status_code == expect, response.text
        body: dict[str, Any] = response.json()
        return body

    async def relate(
        self, who: Person, target: Person | str, verb: str, expect: int = 200, **data: Any
    ) -> dict[str, Any]:
        """POST /accounts/:id/<verb> (follow, unfollow, block, unblock, mute, unmute)."""
        target_id = target if isinstance(target, str) else target.id
        response = await self.client.post(
            f"/api/v1/accounts/{target_id}/{verb}", data=data or None, headers=who.h
        )
        assert response.status_code == expect, response.text
        body: dict[str, Any] = response.json()
        return body

    async def delete(self, who: Person, status_id: str) -> None:
        response = await self.client.delete(f"/api/v1/statuses/{status_id}", headers=who.h)
        assert response.status_code == 200, response.text

    async def get_json(self, url: str, who: Person | None = None, **params: Any) -> Any:
        response = await self.client.get(url, params=params, headers=who.h if who else None)
        assert response.status_code == 200, response.text
        return response.json()

    async def home(self, who: Person, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("limit", 40)
        found: list[dict[str, Any]] = await self.get_json("/api/v1/timelines/home", who, **params)
        return found

    async def home_ids(self, who: Person, **params: Any) -> list[str]:
        return ids(await self.home(who, **params))

    async def public_ids(self, who: Person | None = None) -> list[str]:
        return ids(await self.get_json("/api/v1/timelines/public", who, limit=40))

    async def statuses_of(self, author: Person, who: Person | None = None) -> list[str]:
        url = f"/api/v1/accounts/{author.id}/statuses"
        return ids(await self.get_json(url, who, limit=40))

    async def fetch(self, status_id: str, who: Person | None = None) -> httpx.Response:
        return await self.client.get(
            f"/api/v1/statuses/{status_id}", headers=who.h if who else None
        )

    async def status(self, status_id: str, who: Person | None = None) -> dict[str, Any]:
        response = await self.fetch(status_id, who)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def sees(self, status_id: str, who: Person | None = None) -> bool:
        response = await self.fetch(status_id, who)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    async def context(self, status_id: str, who: Person | None = None) -> dict[str, list[str]]:
        response = await self.client.get(
            f"/api/v1/statuses/{status_id}/context", headers=who.h if who else None
        )
        assert response.status_code == 200, response.text
        found = response.json()
        return {key: ids(found[key]) for key in ("ancestors", "descendants")}

    async def notifications(self, who: Person, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.get_json("/api/v1/notifications", who, **params)
        return found

    async def kinds(self, who: Person, **params: Any) -> list[tuple[str, str, str | None]]:
        """(type, from username, status id) of each notification, newest first."""
        return [
            (n["type"], n["account"]["username"], n["status"]["id"] if "status" in n else None)
            for n in await self.notifications(who, **params)
        ]

    async def unread(self, who: Person) -> int:
        found = await self.get_json("/api/v1/notifications/unread_count", who)
        count: int = found["count"]
        return count

    async def relationship(self, who: Person, target: Person) -> dict[str, Any]:
        (found,) = await self.get_json("/api/v1/accounts/relationships", who, **{"id[]": target.id})
        relationship: dict[str, Any] = found
        return relationship


@pytest.fixture
def net(client: httpx.AsyncClient) -> Net:
    return Net(client)


def reblog_ids(statuses: list[dict[str, Any]]) -> list[str | None]:
    """For each status of a page, the id of the status it boosts (None for a post)."""
    return [s["reblog"]["id"] if s["reblog"] else None for s in statuses]


# Visibility -------------------------------------------------------------------------------


async def test_each_visibility_is_kept_and_answered_as_posted(net: Net) -> None:
    (ada,) = await net.people("ada")
    for level in ("public", "unlisted", "private", "direct"):
        posted = await net.post(ada, f"a {level} post", level)
        assert posted["visibility"] == level
        assert (await net.status(posted["id"], ada))["visibility"] == level
    default = await net.post(ada, "no visibility given")
    assert default["visibility"] == "public"
    bad = await net.client.post(
        "/api/v1/statuses", data={"status": "x", "visibility": "friends"}, headers=ada.h
    )
    assert bad.status_code == 422
    assert "visibility" in bad.json()["error"]


async def test_who_may_fetch_each_visibility(net: Net) -> None:
    ada, fan, named, stranger = await net.people("ada", "fan", "named", "stranger")
    await net.relate(fan, ada, "follow")
    public = (await net.post(ada, "for everyone", "public"))["id"]
    unlisted = (await net.post(ada, "for everyone, quietly", "unlisted"))["id"]
    private = (await net.post(ada, "followers and @named", "private"))["id"]
    direct = (await net.post(ada, "only for @named", "direct"))["id"]
    private_alone = (await net.post(ada, "followers only", "private"))["id"]

    expected = {
        # reader: the posts it may fetch (and the others are 404, as if they did not exist)
        "ada": {public, unlisted, private, direct, private_alone},
        "fan": {public, unlisted, private, private_alone},
        "named": {public, unlisted, private, direct},
        "stranger": {public, unlisted},
        "anonymous": {public, unlisted},
    }
    readers: dict[str, Person | None] = {
        "ada": ada,
        "fan": fan,
        "named": named,
        "stranger": stranger,
        "anonymous": None,
    }
    everything = [public, unlisted, private, direct, private_alone]
    for name, reader in readers.items():
        seen = {i for i in everything if await net.sees(i, reader)}
        assert seen == expected[name], name
        # The profile lists what the reader may see, newest first.
        assert await net.statuses_of(ada, reader) == sorted(seen, key=int, reverse=True), name

    # Home: the author's own, and a follower's (private but not direct); never a stranger's.
    assert await net.home_ids(ada) == [private_alone, direct, private, unlisted, public]
    assert await net.home_ids(fan) == [private_alone, private, unlisted, public]
    assert await net.home_ids(stranger) == []
    following = await net.get_json("/api/v1/timelines/following", fan, limit=40)
    assert ids(following) == [private_alone, private, unlisted, public]
    # Public: public posts only, for everyone.
    for reader in (None, ada, fan, stranger):
        assert await net.public_ids(reader) == [public]


async def test_a_mentioned_follower_sees_a_direct_post_in_home(net: Net) -> None:
    ada, named, fan = await net.people("ada", "named", "fan")
    await net.relate(named, ada, "follow")
    await net.relate(fan, ada, "follow")
    direct = await net.post(ada, "psst @named", "direct")
    assert await net.home_ids(named) == [direct["id"]]
    assert await net.home_ids(fan) == []
    assert [m["username"] for m in direct["mentions"]] == ["named"]


async def test_unfollowing_hides_private_posts_at_once(net: Net) -> None:
    ada, fan = await net.people("ada", "fan")
    await net.relate(fan, ada, "follow")
    private = (await net.post(ada, "between us", "private"))["id"]
    public = (await net.post(ada, "for all"))["id"]
    assert await net.home_ids(fan) == [public, private]
    assert await net.sees(private, fan)

    await net.relate(fan, ada, "unfollow")
    assert not await net.sees(private, fan)
    assert await net.statuses_of(ada, fan) == [public]
    assert await net.home_ids(fan) == []
    # Following again shows it again: it never stopped existing.
    await net.relate(fan, ada, "follow")
    assert await net.sees(private, fan)
    assert await net.home_ids(fan) == [public, private]


async def test_context_shows_only_the_replies_the_reader_may_see(net: Net) -> None:
    ada, fan, bea, stranger = await net.people("ada", "fan", "bea", "stranger")
    await net.relate(fan, ada, "follow")
    root = (await net.post(ada, "root"))["id"]
    private_reply = (await net.post(ada, "followers hear this", "private", root))["id"]
    direct_reply = (await net.post(bea, "@ada only you", "direct", root))["id"]
    under_private = (await net.post(ada, "and on", "public", private_reply))["id"]

    assert (await net.context(root, ada))["descendants"] == [
        private_reply,
        direct_reply,
        under_private,
    ]
    assert (await net.context(root, fan))["descendants"] == [private_reply, under_private]
    assert (await net.context(root, bea))["descendants"] == [direct_reply, under_private]
    assert (await net.context(root, stranger))["descendants"] == [under_private]
    assert (await net.context(root))["descendants"] == [under_private]
    # Above a post, too: a private ancestor is left out for those who may not see it.
    assert (await net.context(under_private, fan))["ancestors"] == [root, private_reply]
    assert (await net.context(under_private, stranger))["ancestors"] == [root]
    # And the context of a post the reader may not see is a 404.
    for reader in (stranger, None):
        response = await net.client.get(
            f"/api/v1/statuses/{private_reply}/context", headers=reader.h if reader else None
        )
        assert response.status_code == 404
    # replies_count counts public and unlisted replies, as Mastodon does.
    assert (await net.status(root, ada))["replies_count"] == 0
    assert (await net.status(private_reply, ada))["replies_count"] == 1


# Mentions ---------------------------------------------------------------------------------


async def test_mentions_are_parsed_linked_and_notified(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    posted = await net.post(ada, "hi @BOB, @cy and @nobody (not me@cy.example)")
    assert sorted(m["username"] for m in posted["mentions"]) == ["bob", "cy"]
    mention = next(m for m in posted["mentions"] if m["username"] == "bob")
    assert mention == {
        "id": bob.id,
        "username": "bob",
        "acct": "bob",
        "url": "http://testserver/@bob",
    }
    assert posted["content"] == (
        '<p>hi <span class="h-card" translate="no"><a href="http://testserver/@bob" '
        'class="u-url mention">@<span>bob</span></a></span>, '
        '<span class="h-card" translate="no"><a href="http://testserver/@cy" '
        'class="u-url mention">@<span>cy</span></a></span> and @nobody (not me@cy.example)</p>'
    )
    assert posted["text"] == "hi @BOB, @cy and @nobody (not me@cy.example)"
    assert (await net.status(posted["id"]))["content"] == posted["content"]
    for person in (bob, cy):
        assert await net.kinds(person) == [("mention", "ada", posted["id"])]
    assert await net.kinds(ada) == []
    # Mentioning oneself notifies nobody.
    await net.post(ada, "note to self @ada")
    assert await net.kinds(ada) == []


async def test_a_reply_notifies_the_parents_author_and_mentions_it(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    root = await net.post(ada, "a question")
    reply = await net.post(bob, "an answer", reply_to=root["id"])
    assert [m["username"] for m in reply["mentions"]] == ["ada"]
    assert await net.kinds(ada) == [("mention", "bob", reply["id"])]
    # Replying to oneself notifies nobody.
    await net.post(ada, "a follow-up", reply_to=root["id"])
    assert len(await net.notifications(ada)) == 1


async def test_no_mention_notification_from_a_blocked_or_muted_author(net: Net) -> None:
    ada, blocker, muter, quiet_muter = await net.people("ada", "blocker", "muter", "quietmuter")
    await net.relate(blocker, ada, "block")
    await net.relate(muter, ada, "mute")
    await net.relate(quiet_muter, ada, "mute", notifications="false")
    posted = await net.post(ada, "hey @blocker @muter @quietmuter")
    assert await net.kinds(blocker) == []
    assert await net.kinds(muter) == []
    # A mute that keeps notifications lets them through (Mastodon's notifications=false).
    assert await net.kinds(quiet_muter) == [("mention", "ada", posted["id"])]
    # A reply to a blocker's post: no notification either.
    theirs = await net.post(blocker, "my post")
    assert (await net.fetch(theirs["id"], ada)).status_code == 404
    replied = await net.client.post(
        "/api/v1/statuses",
        data={"status": "sneaky reply", "in_reply_to_id": theirs["id"]},
        headers=ada.h,
    )
    assert replied.status_code == 404
    assert await net.kinds(blocker) == []


# Favourites, boosts, bookmarks ---------------------------------------------------------------


async def test_counts_and_the_readers_flags(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    target = (await net.post(ada, "like me"))["id"]

    favourited = await net.act(bob, target, "favourite")
    assert favourited["id"] == target
    assert (favourited["favourites_count"], favourited["favourited"]) == (1, True)
    again = await net.act(bob, target, "favourite")  # again is fine, counted once
    assert again["favourites_count"] == 1
    bookmarked = await net.act(bob, target, "bookmark")
    assert bookmarked["bookmarked"] is True
    boost = await net.act(cy, target, "reblog")
    assert boost["id"] != target
    assert boost["reblog"]["id"] == target
    assert boost["reblog"]["reblogged"] is True
    assert boost["reblog"]["reblogs_count"] == 1
    assert boost["account"]["username"] == "cy"
    again_boost = await net.act(cy, target, "reblog")
    assert again_boost["id"] == boost["id"]

    as_bob = await net.status(target, bob)
    assert (as_bob["favourited"], as_bob["bookmarked"], as_bob["reblogged"]) == (
        True,
        True,
        False,
    )
    assert (as_bob["favourites_count"], as_bob["reblogs_count"]) == (1, 1)
    as_cy = await net.status(target, cy)
    assert (as_cy["favourited"], as_cy["bookmarked"], as_cy["reblogged"]) == (False, False, True)
    anonymous = await net.status(target)
    assert (anonymous["favourited"], anonymous["bookmarked"], anonymous["reblogged"]) == (
        False,
        False,
        False,
    )
    # The verbs answer through a boost's id too: it acts on the boosted status.
    through_boost = await net.act(ada, boost["id"], "favourite")
    assert through_boost["id"] == target
    assert through_boost["favourites_count"] == 2

    who = await net.get_json(f"/api/v1/statuses/{target}/favourited_by")
    assert [a["username"] for a in who] == ["ada", "bob"]
    who = await net.get_json(f"/api/v1/statuses/{target}/reblogged_by")
    assert [a["username"] for a in who] == ["cy"]

    assert (await net.act(bob, target, "unfavourite"))["favourited"] is False
    assert (await net.act(bob, target, "unfavourite"))["favourites_count"] == 1  # none is fine
    assert (await net.act(bob, target, "unbookmark"))["bookmarked"] is False
    undone = await net.act(cy, target, "unreblog")
    assert undone["id"] == target
    assert (undone["reblogged"], undone["reblogs_count"]) == (False, 0)
    assert not await net.sees(boost["id"], cy)


async def test_a_boost_reaches_the_boosters_followers_as_a_wrapper(net: Net) -> None:
    ada, bob, fan = await net.people("ada", "bob", "fan")
    await net.relate(fan, bob, "follow")
    original = await net.post(ada, "worth sharing")
    before = (await net.post(bob, "bob's own"))["id"]
    boost = await net.act(bob, original["id"], "reblog")
    after = (await net.post(bob, "bob again"))["id"]

    page = await net.home(fan)
    assert ids(page) == [after, boost["id"], before]
    wrapper = page[1]
    assert wrapper["account"]["username"] == "bob"
    assert wrapper["content"] == ""
    assert wrapper["reblog"]["id"] == original["id"]
    assert wrapper["reblog"]["account"]["username"] == "ada"
    assert wrapper["reblog"]["content"] == "<p>worth sharing</p>"
    assert wrapper["reblog"]["reblogs_count"] == 1
    assert wrapper["visibility"] == "public"
    # The boost's own id is the cursor: the page below it starts after it.
    assert await net.home_ids(fan, max_id=boost["id"]) == [before]
    assert await net.home_ids(fan, limit=2) == [after, boost["id"]]
    response = await net.client.get("/api/v1/timelines/home?limit=2", headers=fan.h)
    assert link_params(response, "next")["max_id"] == boost["id"]
    # The booster's profile lists the boost; the public timeline does not.
    assert await net.statuses_of(bob) == [after, boost["id"], before]
    assert await net.public_ids() == [after, before, original["id"]]
    # A boost fetched by id is the wrapper.
    assert (await net.status(boost["id"]))["reblog"]["id"] == original["id"]

    await net.act(bob, original["id"], "unreblog")
    assert await net.home_ids(fan) == [after, before]
    assert await net.statuses_of(bob) == [after, before]


async def test_deleting_a_post_removes_its_boosts_everywhere(net: Net) -> None:
    ada, bob, cy, fan = await net.people("ada", "bob", "cy", "fan")
    await net.relate(fan, bob, "follow")
    await net.relate(fan, cy, "follow")
    original = (await net.post(ada, "soon gone"))["id"]
    boosts = [(await net.act(p, original, "reblog"))["id"] for p in (bob, cy)]
    await net.act(fan, original, "favourite")
    await net.act(fan, original, "bookmark")
    assert await net.home_ids(fan) == [boosts[0]]  # the second boost falls off (same post)

    await net.delete(ada, original)
    assert await net.home_ids(fan) == []
    assert await net.statuses_of(bob) == []
    assert await net.statuses_of(cy) == []
    for boost in boosts:
        assert not await net.sees(boost, fan)
    assert await net.get_json("/api/v1/favourites", fan) == []
    assert await net.get_json("/api/v1/bookmarks", fan) == []
    assert await net.kinds(ada) == []
    assert (await net.get_json(f"/api/v1/accounts/{bob.id}"))["statuses_count"] == 0


async def test_deleting_ones_boost_is_unboosting(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    original = (await net.post(ada, "boost me"))["id"]
    boost = (await net.act(bob, original, "reblog"))["id"]
    assert await net.kinds(ada) == [("reblog", "bob", original)]
    deleted = await net.client.delete(f"/api/v1/statuses/{boost}", headers=bob.h)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["reblog"]["id"] == original
    assert (await net.status(original, bob))["reblogged"] is False
    assert await net.kinds(ada) == []
    # Someone else's boost is not theirs to delete.
    boost = (await net.act(bob, original, "reblog"))["id"]
    refused = await net.client.delete(f"/api/v1/statuses/{boost}", headers=ada.h)
    assert refused.status_code == 403


async def test_private_and_direct_posts_cannot_be_boosted_by_others(net: Net) -> None:
    ada, fan, named = await net.people("ada", "fan", "named")
    await net.relate(fan, ada, "follow")
    private = (await net.post(ada, "followers only @named", "private"))["id"]
    direct = (await net.post(ada, "just @named", "direct"))["id"]
    for who, target in ((fan, private), (named, private), (named, direct)):
        response = await net.client.post(f"/api/v1/statuses/{target}/reblog", headers=who.h)
        assert response.status_code == 403, response.text
        assert set(response.json()) == {"error"}
        assert (await net.status(target, ada))["reblogs_count"] == 0
        assert await net.statuses_of(who, who) == []
    assert await net.get_json(f"/api/v1/statuses/{private}/reblogged_by", ada) == []
    assert [n["type"] for n in await net.notifications(ada)] == ["follow"]
    # The author may boost their own private post (to their followers), not a direct one.
    own = await net.act(ada, private, "reblog")
    assert own["visibility"] == "private"
    assert (await net.act(ada, direct, "reblog", expect=403))["error"]


async def test_favouriting_what_one_cannot_see_is_a_404(net: Net) -> None:
    ada, stranger = await net.people("ada", "stranger")
    private = (await net.post(ada, "not for strangers", "private"))["id"]
    gone = (await net.post(ada, "deleted soon"))["id"]
    await net.delete(ada, gone)
    for target in (private, gone, "987654321"):
        for verb in ("favourite", "unfavourite", "reblog", "bookmark", "unbookmark"):
            body = await net.act(stranger, target, verb, expect=404)
            assert set(body) == {"error"}
        for listing in ("favourited_by", "reblogged_by"):
            response = await net.client.get(
                f"/api/v1/statuses/{target}/{listing}", headers=stranger.h
            )
            assert response.status_code == 404
    assert (await net.status(private, ada))["favourites_count"] == 0
    assert await net.kinds(ada) == []


async def test_blocking_or_muting_oneself_is_refused(net: Net) -> None:
    (ada,) = await net.people("ada")
    for verb in ("block", "mute"):
        body = await net.relate(ada, ada, verb, expect=422)
        assert set(body) == {"error"}
        assert (await net.relate(ada, "987654321", verb, expect=404))["error"]
    relationship = await net.relationship(ada, ada)
    assert (relationship["blocking"], relationship["muting"]) == (False, False)


async def test_favourites_and_bookmarks_page_by_when_they_were_made(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    posted = [(await net.post(ada, f"post {i}"))["id"] for i in range(5)]
    order = [posted[2], posted[0], posted[4], posted[1], posted[3]]  # not the ids' order
    for status_id in order:
        await net.act(bob, status_id, "favourite")
        await net.act(bob, status_id, "bookmark")
    for listing in ("favourites", "bookmarks"):
        first = await net.client.get(f"/api/v1/{listing}?limit=2", headers=bob.h)
        assert ids(first.json()) == [order[4], order[3]]
        cursor = link_params(first, "next")
        assert cursor["limit"] == "2"
        # The cursor is the favourite's (or bookmark's) own id, not a status id.
        assert cursor["max_id"] != order[3]
        assert await walk(net.client, f"/api/v1/{listing}?limit=2", bob.h) == order[::-1]
        flags = await net.get_json(f"/api/v1/{listing}", bob)
        assert all(s["favourited"] and s["bookmarked"] for s in flags)
        assert await net.get_json(f"/api/v1/{listing}", ada) == []
    # A favourite of a post the reader can no longer see leaves the list.
    await net.relate(ada, bob, "block")
    assert await net.get_json("/api/v1/favourites", bob) == []


# Mastodon's boost rule in home timelines ------------------------------------------------------


async def test_a_boost_of_a_post_just_seen_is_not_shown_again(net: Net) -> None:
    reader, ada, bob, cy = await net.people("reader", "ada", "bob", "cy")
    for person in (ada, bob, cy):
        await net.relate(reader, person, "follow")
    seen = (await net.post(ada, "already in your home"))["id"]
    boost = (await net.act(bob, seen, "reblog"))["id"]
    assert await net.home_ids(reader) == [seen]
    assert await net.statuses_of(bob, reader) == [boost]  # on the profile, it is

    # 39 entries between the post and its boost: still among the 40 newest, not shown.
    old = (await net.post(ada, "an older post"))["id"]
    filler = [(await net.post(cy, f"filler {i}"))["id"] for i in range(39)]
    hidden = (await net.act(bob, old, "reblog"))["id"]
    home = await net.home_ids(reader)
    assert hidden not in home and home[0] == filler[-1]
    # 40 entries between them (its earlier boost was unboosted): shown, the post comes round.
    await net.act(bob, old, "unreblog")
    filler.append((await net.post(cy, "one more"))["id"])
    shown = (await net.act(bob, old, "reblog"))["id"]
    page = await net.home(reader)
    assert ids(page)[:2] == [shown, filler[-1]]
    assert page[0]["reblog"]["id"] == old
    # Paging below a hidden boost, or through it, never shows it either.
    walked = await walk(net.client, "/api/v1/timelines/home?limit=7", reader.h)
    assert walked == sorted({*filler, old, seen, shown}, key=int, reverse=True)


async def test_ones_own_posts_boosted_by_others_stay_out_of_ones_home(net: Net) -> None:
    reader, bob, cy, other = await net.people("reader", "bob", "cy", "other")
    await net.relate(reader, bob, "follow")
    await net.relate(reader, cy, "follow")
    await net.relate(other, bob, "follow")
    mine = (await net.post(reader, "my post"))["id"]
    filler = [(await net.post(cy, f"filler {i}"))["id"] for i in range(41)]
    boost = (await net.act(bob, mine, "reblog"))["id"]
    home = await walk(net.client, "/api/v1/timelines/home", reader.h)
    assert home == [*filler[::-1], mine]
    assert await net.home_ids(other) == [boost]
    # The reader's own boosts do show in their home.
    own_boost = (await net.act(reader, filler[0], "reblog"))["id"]
    assert (await net.home_ids(reader))[0] == own_boost


# Blocks and mutes -----------------------------------------------------------------------------


async def test_a_block_ends_follows_and_hides_each_from_the_other(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    await net.relate(ada, bob, "follow")
    await net.relate(bob, ada, "follow")
    await net.relate(ada, cy, "follow")
    await net.relate(bob, cy, "follow")
    ada_post = (await net.post(ada, "ada's"))["id"]
    bob_post = (await net.post(bob, "bob's"))["id"]
    bob_reply = (await net.post(bob, "bob answers", reply_to=ada_post))["id"]
    ada_reply = (await net.post(ada, "ada answers", reply_to=bob_post))["id"]
    cy_post = (await net.post(cy, "cy's"))["id"]
    cy_boosts_bob = (await net.act(cy, bob_post, "reblog"))["id"]

    relationship = await net.relate(ada, bob, "block")
    assert relationship["blocking"] is True
    assert (relationship["following"], relationship["followed_by"]) == (False, False)
    theirs = await net.relationship(bob, ada)
    assert (theirs["blocked_by"], theirs["blocking"], theirs["following"]) == (True, False, False)
    assert (await net.get_json(f"/api/v1/accounts/{ada.id}"))["followers_count"] == 0
    assert (await net.get_json(f"/api/v1/accounts/{bob.id}"))["followers_count"] == 0

    # Home, public, profile, fetch and context: each sees nothing of the other.
    assert await net.home_ids(ada) == [cy_post, ada_reply, ada_post]
    # (cy's boost of bob's post is not in bob's home: it is his own post.)
    assert await net.home_ids(bob) == [cy_post, bob_reply, bob_post]
    assert await net.public_ids(ada) == [cy_post, ada_post]
    assert await net.public_ids(bob) == [cy_post, bob_post]
    assert await net.public_ids() == [cy_post, bob_post, ada_post]
    assert await net.statuses_of(bob, ada) == []
    assert await net.statuses_of(ada, bob) == []
    for status_id in (bob_post, bob_reply, cy_boosts_bob):
        assert not await net.sees(status_id, ada)
    for status_id in (ada_post, ada_reply):
        assert not await net.sees(status_id, bob)
    assert (await net.context(ada_post, ada))["descendants"] == []
    assert (await net.context(bob_post, bob))["descendants"] == []
    assert (await net.context(ada_reply, ada))["ancestors"] == []
    # Neither can follow, favourite or boost the other now.
    await net.relate(bob, ada, "follow", expect=403)
    await net.relate(ada, bob, "follow", expect=403)
    await net.act(bob, ada_post, "favourite", expect=404)
    await net.act(ada, cy_boosts_bob, "reblog", expect=404)
    # Bob's notifications to ada (follow, mention) are gone; hers to bob are hidden.
    assert await net.kinds(ada) == []
    assert await net.kinds(bob) == [("reblog", "cy", bob_post)]

    # Lifted: visible again, but the follows the block ended stay ended.
    relationship = await net.relate(ada, bob, "unblock")
    assert (relationship["blocking"], relationship["following"]) == (False, False)
    assert await net.sees(bob_post, ada)
    assert await net.statuses_of(bob, ada) == [bob_reply, bob_post]
    assert await net.home_ids(ada) == [cy_boosts_bob, cy_post, ada_reply, ada_post]


async def test_a_mute_hides_posts_boosts_and_notifications_but_not_the_profile(
    net: Net,
) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    await net.relate(ada, bob, "follow")
    await net.relate(ada, cy, "follow")
    own = (await net.post(ada, "mine"))["id"]
    bob_post = (await net.post(bob, "bob's"))["id"]
    cy_boosts_bob = (await net.act(cy, bob_post, "reblog"))["id"]
    cy_post = (await net.post(cy, "cy's"))["id"]
    bob_boosts_cy = (await net.act(bob, cy_post, "reblog"))["id"]
    assert set(await net.home_ids(ada)) == {own, bob_post, cy_post}

    relationship = await net.relate(ada, bob, "mute")
    assert (relationship["muting"], relationship["muting_notifications"]) == (True, True)
    assert relationship["following"] is True  # a mute keeps the follow
    assert await net.home_ids(ada) == [cy_post, own]
    assert cy_boosts_bob not in await net.home_ids(ada)
    assert bob_boosts_cy not in await net.home_ids(ada)
    # Not hidden elsewhere: the profile and the post itself.
    assert await net.statuses_of(bob, ada) == [bob_boosts_cy, bob_post]
    assert await net.sees(bob_post, ada)
    # Notifications from bob: the earlier follow-back and new ones are hidden.
    await net.relate(bob, ada, "follow")
    await net.post(bob, "hey @ada")
    await net.act(bob, own, "favourite")
    assert await net.kinds(ada) == []
    assert await net.unread(ada) == 0

    # Muting again without notifications: new ones come (those of the mute never existed,
    # as in Mastodon); the posts stay hidden.
    relationship = await net.relate(ada, bob, "mute", notifications="false")
    assert (relationship["muting"], relationship["muting_notifications"]) == (True, False)
    assert await net.kinds(ada) == []
    again = (await net.post(bob, "again @ada"))["id"]
    assert await net.kinds(ada) == [("mention", "bob", again)]
    assert await net.home_ids(ada) == [cy_post, own]

    relationship = await net.relate(ada, bob, "unmute")
    assert (relationship["muting"], relationship["following"]) == (False, True)
    assert bob_post in await net.home_ids(ada)


async def test_mute_options_are_read_as_mastodon_reads_them(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    refused = await net.relate(ada, bob, "mute", expect=422, duration="3600")
    assert "duration" in refused["error"]
    assert (await net.relationship(ada, bob))["muting"] is False

    async def mute(**body: Any) -> bool:
        """Mute bob with this body (JSON when it has a non-string); muting_notifications."""
        as_json = any(not isinstance(v, str) for v in body.values())
        response = await net.client.post(
            f"/api/v1/accounts/{bob.id}/mute",
            json=body if as_json else None,
            data=None if as_json else body,
            headers=ada.h,
        )
        assert response.status_code == 200, response.text
        assert response.json()["muting"] is True
        result: bool = response.json()["muting_notifications"]
        return result

    # Absent, empty or null: the default, notifications muted too (Rails' reading).
    for body in ({}, {"notifications": ""}, {"notifications": None}, {"duration": 0}):
        await mute(notifications="0")
        assert await mute(**body) is True, body
    for value in (False, "false", "0", "f", "off", "FALSE"):
        await mute(notifications="1")
        assert await mute(notifications=value, duration="0") is False, value
    for value in (True, "true", "1", "t", "on"):
        await mute(notifications="0")
        assert await mute(notifications=value) is True, value


async def test_blocks_and_mutes_are_listed_newest_first_and_paged(net: Net) -> None:
    me, *others = await net.people("me", "a1", "a2", "a3", "a4", "a5")
    for person in others[::-1]:
        await net.relate(me, person, "block")
        await net.relate(me, person, "mute")
    names = [p.name for p in others]  # blocked last first: a1 is the newest block
    for listing in ("blocks", "mutes"):
        everyone = await net.get_json(f"/api/v1/{listing}", me)
        assert [a["username"] for a in everyone] == names
        first = await net.client.get(f"/api/v1/{listing}?limit=2", headers=me.h)
        assert [a["username"] for a in first.json()] == names[:2]
        assert "next" in links(first)
        walked = await walk(net.client, f"/api/v1/{listing}?limit=2", me.h)
        assert walked == [p.id for p in others]
        assert await net.get_json(f"/api/v1/{listing}", others[0]) == []
    await net.relate(me, others[0], "unblock")
    await net.relate(me, others[1], "unmute")
    assert [a["username"] for a in await net.get_json("/api/v1/blocks", me)] == names[1:]
    assert [a["username"] for a in await net.get_json("/api/v1/mutes", me)] == [
        names[0],
        *names[2:],
    ]


async def test_relationships_report_blocks_and_mutes_both_ways(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    await net.relate(ada, bob, "block")
    await net.relate(ada, cy, "mute", notifications="0")
    found = await net.get_json("/api/v1/accounts/relationships", ada, **{"id[]": [bob.id, cy.id]})
    fields = ("blocking", "blocked_by", "muting", "muting_notifications")
    assert [tuple(r[f] for f in fields) for r in found] == [
        (True, False, False, False),
        (False, False, True, False),
    ]
    from_bob = await net.relationship(bob, ada)
    assert tuple(from_bob[f] for f in fields) == (False, True, False, False)
    from_cy = await net.relationship(cy, ada)
    assert tuple(from_cy[f] for f in fields) == (False, False, False, False)  # mutes are secret


# Notifications ---------------------------------------------------------------------------------


async def notified(net: Net) -> tuple[Person, Person, dict[str, str]]:
    """ada gets one notification of each type from bob; (ada, bob, {type: status id})."""
    ada, bob = await net.people("ada", "bob")
    post = (await net.post(ada, "notice me"))["id"]
    await net.relate(bob, ada, "follow")
    mention = (await net.post(bob, "hello @ada"))["id"]
    await net.act(bob, post, "favourite")
    await net.act(bob, post, "reblog")
    return ada, bob, {"mention": mention, "favourite": post, "reblog": post}


async def test_notifications_of_each_type(net: Net) -> None:
    ada, bob, statuses = await notified(net)
    found = await net.notifications(ada)
    assert [n["type"] for n in found] == ["reblog", "favourite", "mention", "follow"]
    assert all(n["account"]["id"] == bob.id for n in found)
    assert [n.get("status", {}).get("id") for n in found] == [
        statuses["reblog"],
        statuses["favourite"],
        statuses["mention"],
        None,
    ]
    assert "status" not in found[3]
    assert found == sorted(found, key=lambda n: int(n["id"]), reverse=True)
    # The status of a reblog notification is the boosted one, with the reader's flags.
    assert found[0]["status"]["reblog"] is None
    assert found[0]["status"]["reblogs_count"] == 1
    assert await net.notifications(bob) == []

    only = await net.kinds(ada, **{"types[]": ["mention", "follow"]})
    assert [k for k, _, _ in only] == ["mention", "follow"]
    without = await net.kinds(ada, **{"exclude_types[]": ["favourite", "reblog"]})
    assert [k for k, _, _ in without] == ["mention", "follow"]
    both = await net.kinds(ada, **{"types[]": ["mention", "reblog"], "exclude_types[]": "reblog"})
    assert [k for k, _, _ in both] == ["mention"]
    # Types this server never sends (Mastodon has more) match nothing; an empty one is none.
    assert await net.notifications(ada, **{"types[]": "poll"}) == []
    assert len(await net.notifications(ada, **{"types[]": ""})) == 4
    assert len(await net.notifications(ada, **{"types[]": ["", "follow"]})) == 1
    assert len(await net.notifications(ada, **{"exclude_types[]": "poll"})) == 4


async def test_notifications_page_with_cursors_and_link_headers(net: Net) -> None:
    ada, _, _ = await notified(net)
    every = [n["id"] for n in await net.notifications(ada)]
    first = await net.client.get("/api/v1/notifications?limit=3", headers=ada.h)
    assert [n["id"] for n in first.json()] == every[:3]
    assert link_params(first, "next") == {"limit": "3", "max_id": every[2]}
    assert link_params(first, "prev") == {"limit": "3", "min_id": every[0]}
    second = await net.client.get(relative(links(first)["next"]), headers=ada.h)
    assert [n["id"] for n in second.json()] == every[3:]
    assert "next" not in links(second)
    newer = await net.client.get(relative(links(first)["prev"]), headers=ada.h)
    assert newer.json() == []

    def page(**params: Any) -> Any:
        return net.notifications(ada, **params)

    assert [n["id"] for n in await page(max_id=every[1])] == every[2:]
    assert [n["id"] for n in await page(since_id=every[3], limit=2)] == every[:2]
    assert [n["id"] for n in await page(min_id=every[3], limit=2)] == every[1:3]
    assert [n["id"] for n in await page(limit=1)] == every[:1]
    # The filters are kept in the links.
    filtered = await net.client.get(
        "/api/v1/notifications",
        params={"limit": 1, "types[]": ["favourite", "follow"]},
        headers=ada.h,
    )
    assert [n["type"] for n in filtered.json()] == ["favourite"]
    following = await net.client.get(relative(links(filtered)["next"]), headers=ada.h)
    assert [n["type"] for n in following.json()] == ["follow"]
    bad = await net.client.get("/api/v1/notifications?max_id=abc", headers=ada.h)
    assert bad.status_code == 422


async def test_one_notification_dismiss_and_clear(net: Net) -> None:
    ada, bob, _ = await notified(net)
    every = await net.notifications(ada)
    one = await net.get_json(f"/api/v1/notifications/{every[1]['id']}", ada)
    assert one == every[1]
    # Another account's notification is not found, nor dismissed.
    theirs = await net.client.get(f"/api/v1/notifications/{every[1]['id']}", headers=bob.h)
    assert theirs.status_code == 404
    refused = await net.client.post(
        f"/api/v1/notifications/{every[1]['id']}/dismiss", headers=bob.h
    )
    assert refused.status_code == 404

    dismissed = await net.client.post(
        f"/api/v1/notifications/{every[1]['id']}/dismiss", headers=ada.h
    )
    assert (dismissed.status_code, dismissed.json()) == (200, {})
    assert [n["id"] for n in await net.notifications(ada)] == [
        every[0]["id"],
        every[2]["id"],
        every[3]["id"],
    ]
    gone = await net.client.get(f"/api/v1/notifications/{every[1]['id']}", headers=ada.h)
    assert gone.status_code == 404
    again = await net.client.post(f"/api/v1/notifications/{every[1]['id']}/dismiss", headers=ada.h)
    assert again.status_code == 404

    cleared = await net.client.post("/api/v1/notifications/clear", headers=ada.h)
    assert (cleared.status_code, cleared.json()) == (200, {})
    assert await net.notifications(ada) == []
    assert await net.unread(ada) == 0


async def test_unread_count_follows_the_marker(net: Net) -> None:
    ada, bob, _ = await notified(net)
    every = [n["id"] for n in await net.notifications(ada)]
    assert await net.unread(ada) == 4
    markers = await net.get_json("/api/v1/markers", ada, **{"timeline[]": "notifications"})
    assert markers["notifications"]["last_read_id"] == "0"

    # As Mastodon.py sends it (JSON), and as a form.
    response = await net.client.post(
        "/api/v1/markers", json={"notifications": {"last_read_id": every[1]}}, headers=ada.h
    )
    assert response.status_code == 200, response.text
    assert response.json()["notifications"]["last_read_id"] == every[1]
    assert await net.unread(ada) == 1
    response = await net.client.post(
        "/api/v1/markers", data={"notifications[last_read_id]": every[0]}, headers=ada.h
    )
    assert response.status_code == 200, response.text
    assert await net.unread(ada) == 0
    # The marker never moves back.
    response = await net.client.post(
        "/api/v1/markers", json={"notifications": {"last_read_id": every[3]}}, headers=ada.h
    )
    assert response.json()["notifications"]["last_read_id"] == every[0]
    markers = await net.get_json("/api/v1/markers", ada)
    assert markers["notifications"]["last_read_id"] == every[0]
    home = await net.get_json("/api/v1/markers", ada, **{"timeline[]": "home"})
    assert list(home) == ["home"]
    assert home["home"]["last_read_id"] == "0"
    # Something new is unread.
    await net.post(bob, "again @ada")
    assert await net.unread(ada) == 1
    missing = await net.client.post("/api/v1/markers", json={}, headers=ada.h)
    assert missing.status_code == 422


async def test_undoing_an_action_takes_its_notification_back(net: Net) -> None:
    ada, bob, statuses = await notified(net)
    await net.act(bob, statuses["favourite"], "unfavourite")
    await net.act(bob, statuses["reblog"], "unreblog")
    await net.relate(bob, ada, "unfollow")
    assert await net.kinds(ada) == [("mention", "bob", statuses["mention"])]
    await net.delete(bob, statuses["mention"])
    assert await net.kinds(ada) == []
    assert await net.unread(ada) == 0


async def test_deleting_a_post_removes_the_notifications_about_it(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    post = (await net.post(ada, "popular, then gone @cy"))["id"]
    kept = (await net.post(ada, "stays"))["id"]
    await net.act(bob, post, "favourite")
    await net.act(bob, post, "reblog")
    await net.act(bob, kept, "favourite")
    reply = (await net.post(bob, "a reply", reply_to=post))["id"]
    assert len(await net.notifications(ada)) == 4
    assert await net.kinds(cy) == [("mention", "ada", post)]

    await net.delete(ada, post)
    # The reply stays, and so does the notification about it.
    assert await net.kinds(ada) == [("mention", "bob", reply), ("favourite", "bob", kept)]
    assert await net.kinds(cy) == []
    assert await net.sees(reply, ada)


async def test_the_social_endpoints_need_a_token(net: Net) -> None:
    (ada,) = await net.people("ada")
    post = (await net.post(ada, "x"))["id"]
    for method, url in (
        ("POST", f"/api/v1/statuses/{post}/favourite"),
        ("POST", f"/api/v1/statuses/{post}/reblog"),
        ("POST", f"/api/v1/statuses/{post}/bookmark"),
        ("POST", f"/api/v1/accounts/{ada.id}/block"),
        ("POST", f"/api/v1/accounts/{ada.id}/mute"),
        ("GET", "/api/v1/favourites"),
        ("GET", "/api/v1/bookmarks"),
        ("GET", "/api/v1/blocks"),
        ("GET", "/api/v1/mutes"),
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/notifications/unread_count"),
        ("POST", "/api/v1/notifications/clear"),
        ("GET", "/api/v1/markers"),
    ):
        response = await net.client.request(method, url)
        assert response.status_code == 401, (method, url)
        assert set(response.json()) == {"error"}
    # Who favourited or boosted a public post is public.
    assert await net.get_json(f"/api/v1/statuses/{post}/favourited_by") == []


async def test_a_boost_takes_its_posts_visibility_and_refuses_to_narrow_it(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    public = (await net.post(ada, "public"))["id"]
    unlisted = (await net.post(ada, "unlisted", "unlisted"))["id"]
    own_private = (await net.post(bob, "bob's followers", "private"))["id"]

    async def boost(who: Person, target: str, visibility: str) -> httpx.Response:
        return await net.client.post(
            f"/api/v1/statuses/{target}/reblog", data={"visibility": visibility}, headers=who.h
        )

    # Followers-only boosts of a public post, or direct ones, are not served: refused, not
    # published to everyone.
    for target, visibility in ((public, "private"), (public, "direct"), (unlisted, "bogus")):
        response = await boost(bob, target, visibility)
        assert response.status_code == 422, response.text
        assert "visibility" in response.json()["error"]
    assert (await net.status(public, bob))["reblogs_count"] == 0
    assert await net.statuses_of(bob, bob) == [own_private]
    # Public and unlisted are the same for a boost: served, as the post's own visibility.
    response = await boost(bob, unlisted, "public")
    assert response.status_code == 200, response.text
    assert (response.json()["visibility"], response.json()["reblog"]["id"]) == (
        "unlisted",
        unlisted,
    )
    response = await boost(bob, public, "unlisted")
    assert (response.status_code, response.json()["visibility"]) == (200, "public")
    # One's own private post, boosted to followers: as asked.
    response = await boost(bob, own_private, "private")
    assert (response.status_code, response.json()["visibility"]) == (200, "private")
    # A status one may not see is a 404 whatever the visibility asked.
    hidden = (await net.post(ada, "ada's followers", "private"))["id"]
    assert (await boost(bob, hidden, "private")).status_code == 404


async def test_notifications_from_one_account_are_refused_not_ignored(net: Net) -> None:
    ada, bob, _ = await notified(net)
    response = await net.client.get(
        "/api/v1/notifications", params={"account_id": bob.id}, headers=ada.h
    )
    assert response.status_code == 422
    assert "account_id" in response.json()["error"]


async def test_the_social_operations_are_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert {"Notification", "UnreadCount", "Markers", "Marker"} <= set(schemas)
    notification = schemas["Notification"]
    assert notification["properties"]["type"]["enum"] == [
        "follow",
        "mention",
        "favourite",
        "reblog",
    ]
    ops = {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    for verb in ("favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark"):
        op = ops[("POST", f"/api/v1/statuses/{{status_id}}/{verb}")]
        assert {"401", "403", "404"} <= set(op["responses"]), verb
        assert op["security"] == [{"bearer": []}]
    paged = {
        "/api/v1/favourites": "20",
        "/api/v1/bookmarks": "20",
        "/api/v1/blocks": "40",
        "/api/v1/mutes": "40",
        "/api/v1/statuses/{status_id}/favourited_by": "40",
        "/api/v1/statuses/{status_id}/reblogged_by": "40",
        "/api/v1/notifications": "40",
    }
    for path, default in paged.items():
        op = ops[("GET", path)]
        assert "Link" in op["responses"]["200"]["headers"], path
        (limit,) = [p for p in op["parameters"] if p["name"] == "limit"]
        assert str(limit["schema"]["default"]) == default, path
    names = {p["name"] for p in ops[("GET", "/api/v1/notifications")]["parameters"]}
    assert {"max_id", "since_id", "min_id", "limit", "types[]", "exclude_types[]"} <= names
    marker = ops[("POST", "/api/v1/markers")]["requestBody"]["content"]
    nested = marker["application/json"]["schema"]["properties"]["notifications"]
    assert "last_read_id" in nested["properties"]
    form = marker["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert "notifications[last_read_id]" in form
    for key in (("POST", "/api/v1/accounts/{account_id}/block"), ("GET", "/api/v1/notifications")):
        assert ops[key]["security"] == [{"bearer": []}], key


@pytest.fixture
async def cached_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the Redis cache of first pages on (and no job worker)."""
    app = create_app(settings.replace(feed_cache="redis"))
    async with app.router.lifespan_context(app):
        await flush_cache(app.state.runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_with_the_cache_on_ones_own_changes_show_at_once(
    cached_client: httpx.AsyncClient,
) -> None:
    net = Net(cached_client)
    ada, bob, cy = await net.people("ada", "bob", "cy")
    private = (await net.post(bob, "bob's followers", "private"))["id"]
    public = (await net.post(bob, "bob's public"))["id"]
    cy_post = (await net.post(cy, "cy's"))["id"]
    await net.relate(ada, bob, "follow")
    assert await net.home_ids(ada, limit=20) == [public, private]  # now cached
    assert await net.public_ids() == [cy_post, public]  # cached for everyone

    await net.relate(ada, bob, "mute")
    assert await net.home_ids(ada, limit=20) == []
    await net.relate(ada, bob, "unmute")
    assert await net.home_ids(ada, limit=20) == [public, private]
    await net.relate(ada, bob, "unfollow")
    assert await net.home_ids(ada, limit=20) == []
    assert not await net.sees(private, ada)
    await net.relate(ada, bob, "follow")
    assert await net.home_ids(ada, limit=20) == [public, private]
    # Blocked by the other side: ada's cached pages go too.
    await net.relate(bob, ada, "block")
    assert await net.home_ids(ada, limit=20) == []
    assert await net.public_ids(ada) == [cy_post]
    assert await net.public_ids(bob) == [cy_post, public]
    assert await net.public_ids() == [cy_post, public]
    # A boost, undone: the booster's own home at once.
    boost = (await net.act(cy, public, "reblog"))["id"]
    assert await net.home_ids(cy, limit=20) == [boost, cy_post]
    await net.act(cy, public, "unreblog")
    assert await net.home_ids(cy, limit=20) == [cy_post]


# The filters Mastodon clients send for a profile (every client asks for pinned ones).
@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("exclude_reblogs=true", ["post", "reply"]),  # Mastodon.py account_statuses(...)
        ("exclude_replies=true", ["post", "boost"]),
        ("pinned=true", []),  # clients ask on every profile: nothing is pinned here
        ("only_media=true", []),  # no media is served
    ],
)
async def test_account_statuses_filters(net: Net, query: str, kept: list[str]) -> None:
    ada, bob = await net.people("ada", "bob")
    target = (await net.post(ada, "ada's"))["id"]
    made = {
        "post": (await net.post(bob, "bob's"))["id"],
        "boost": (await net.act(bob, target, "reblog"))["id"],
        "reply": (await net.post(bob, "bob answers", reply_to=target))["id"],
    }
    name, _, value = query.partition("=")
    found = await net.get_json(f"/api/v1/accounts/{bob.id}/statuses", **{name: value})
    assert ids(found) == sorted((made[k] for k in kept), key=int, reverse=True)


# Deleting a post one may not see is "not found", not "not yours": a 403 would tell a
# stranger that a private or direct post with that id exists.
async def test_deleting_a_post_one_may_not_see_is_a_404(net: Net) -> None:
    ada, bob = await net.people("ada", "bob")
    secret = (await net.post(ada, "only @nobody", "direct"))["id"]
    response = await net.client.delete(f"/api/v1/statuses/{secret}", headers=bob.h)
    assert response.status_code == 404, response.text


async def test_a_reply_to_a_boost_answers_the_boosted_post(net: Net) -> None:
    ada, bob, cy = await net.people("ada", "bob", "cy")
    original = (await net.post(ada, "worth sharing"))["id"]
    boost = (await net.act(bob, original, "reblog"))["id"]
    reply = await net.post(cy, "agreed", reply_to=boost)
    assert reply["in_reply_to_id"] == original
    assert reply["in_reply_to_account_id"] == ada.id
    assert [m["id"] for m in reply["mentions"]] == [ada.id]
    context = await net.get_json(f"/api/v1/statuses/{original}/context")
    assert ids(context["descendants"]) == [reply["id"]]


async def test_a_profile_filter_that_is_not_a_boolean_is_refused(net: Net) -> None:
    (ada,) = await net.people("ada")
    response = await net.client.get(
        f"/api/v1/accounts/{ada.id}/statuses", params={"exclude_reblogs": "maybe"}
    )
    assert response.status_code == 422
    assert "exclude_reblogs" in response.json()["error"]
