"""The social API driven by Mastodon.py, a real Mastodon client library, against the app on a
real HTTP server: one representative flow of each verb the library has a method for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.api.test_mastodon_client import client_for, sign_up, status_ids, walk


def sid(entity: Any) -> str:
    """An entity's id as the API sends it (Mastodon.py may hand back an int)."""
    return str(entity["id"])


def status_code(error: pytest.ExceptionInfo[MastodonAPIError]) -> int:
    """The HTTP status of a Mastodon.py API error (its second argument)."""
    code: int = error.value.args[1]
    return code


@pytest.fixture
def clients(live_server: str) -> dict[str, Mastodon]:
    """Four signed-up accounts, each with its own Mastodon.py client."""
    return {
        name: client_for(live_server, sign_up(live_server, name))
        for name in ("ada", "bob", "cy", "dee")
    }


def test_visibility_as_a_client_sees_it(clients: dict[str, Mastodon]) -> None:
    ada, bob, cy, dee = (clients[n] for n in ("ada", "bob", "cy", "dee"))
    bob.account_follow(ada.me()["id"])
    posted = {
        level: ada.status_post(f"a {level} post, @cy", visibility=level)
        for level in ("public", "unlisted", "private", "direct")
    }
    for level, status in posted.items():
        assert status["visibility"] == level
        assert [m["username"] for m in status["mentions"]] == ["cy"]
    public, unlisted, private, direct = (sid(posted[k]) for k in posted)

    # bob follows: everything but the direct post; cy is mentioned in all; dee is a stranger.
    assert status_ids(bob.timeline_home()) == [private, unlisted, public]
    assert status_ids(bob.account_statuses(ada.me()["id"])) == [private, unlisted, public]
    assert sid(cy.status(direct)) == direct
    assert sid(cy.status(private)) == private
    for hidden in (private, direct):
        with pytest.raises(MastodonNotFoundError):
            dee.status(hidden)
    with pytest.raises(MastodonNotFoundError):
        bob.status(direct)
    assert status_ids(dee.account_statuses(ada.me()["id"])) == [unlisted, public]
    assert status_ids(dee.timeline_public()) == [public]

    # Unfollowing hides the private post at once.
    bob.account_unfollow(ada.me()["id"])
    with pytest.raises(MastodonNotFoundError):
        bob.status(private)
    assert status_ids(bob.timeline_home()) == []


def test_favourites_boosts_and_bookmarks(clients: dict[str, Mastodon]) -> None:
    ada, bob, cy = clients["ada"], clients["bob"], clients["cy"]
    cy.account_follow(bob.me()["id"])
    posts = [ada.status_post(f"post {i}") for i in range(5)]
    target = posts[0]

    favourited = bob.status_favourite(target)
    assert (favourited["favourited"], favourited["favourites_count"]) == (True, 1)
    assert bob.status_bookmark(target)["bookmarked"] is True
    boost = bob.status_reblog(target)
    assert sid(boost["reblog"]) == sid(target)
    assert boost["reblog"]["reblogged"] is True
    assert [a["username"] for a in ada.status_favourited_by(target)] == ["bob"]
    assert [a["username"] for a in ada.status_reblogged_by(target)] == ["bob"]
    seen_by_ada = ada.status(target)
    assert (seen_by_ada["favourites_count"], seen_by_ada["reblogs_count"]) == (1, 1)
    assert (seen_by_ada["favourited"], seen_by_ada["bookmarked"]) == (False, False)

    # The boost in a follower's home: a wrapper around the original, with its own id.
    (wrapper,) = cy.timeline_home()
    assert sid(wrapper) == sid(boost)
    assert wrapper["account"]["username"] == "bob"
    assert sid(wrapper["reblog"]) == sid(target)
    assert wrapper["reblog"]["content"] == "<p>post 0</p>"

    # Lists walked through their Link headers (cursors are the rows' own ids).
    for status in posts[1:]:
        bob.status_favourite(status)
        bob.status_bookmark(status)
    newest_favourite_first = [sid(s) for s in reversed(posts)]
    assert walk(bob, bob.favourites(limit=2)) == newest_favourite_first
    assert walk(bob, bob.bookmarks(limit=2)) == newest_favourite_first

    unboosted = bob.status_unreblog(target)
    assert (sid(unboosted), unboosted["reblogged"]) == (sid(target), False)
    assert cy.timeline_home() == []
    assert bob.status_unfavourite(target)["favourited"] is False
    assert bob.status_unbookmark(target)["bookmarked"] is False
    assert sid(target) not in status_ids(bob.favourites())
    assert ada.status_favourited_by(target) == []


def test_refusals_surface_as_mastodon_errors(clients: dict[str, Mastodon]) -> None:
    ada, bob, cy = clients["ada"], clients["bob"], clients["cy"]
    bob.account_follow(ada.me()["id"])
    private = ada.status_post("followers only", visibility="private")
    with pytest.raises(MastodonAPIError) as refused:
        bob.status_reblog(private)
    assert status_code(refused) == 403
    assert ada.status(private)["reblogs_count"] == 0
    with pytest.raises(MastodonNotFoundError):
        cy.status_favourite(private)
    # A followers-only boost of a public status is not served: refused, not made public.
    public = ada.status_post("for everyone")
    with pytest.raises(MastodonAPIError) as narrowed:
        bob.status_reblog(public, visibility="private")
    assert status_code(narrowed) == 422
    assert bob.status_reblog(public, visibility="public")["visibility"] == "public"
    with pytest.raises(MastodonAPIError) as invalid:
        bob.account_block(bob.me()["id"])
    assert status_code(invalid) == 422
    deleted = ada.status_post("soon gone")
    ada.status_delete(deleted)
    with pytest.raises(MastodonNotFoundError):
        bob.status_favourite(deleted)


def test_blocks_mutes_and_relationships(clients: dict[str, Mastodon]) -> None:
    ada, bob, cy = clients["ada"], clients["bob"], clients["cy"]
    bob_id, cy_id, ada_id = bob.me()["id"], cy.me()["id"], ada.me()["id"]
    ada.account_follow(bob_id)
    bob.account_follow(ada_id)
    ada.account_follow(cy_id)
    bobs = bob.status_post("bob speaks")
    cys = cy.status_post("cy speaks")

    blocked = ada.account_block(bob_id)
    assert (blocked["blocking"], blocked["following"], blocked["followed_by"]) == (
        True,
        False,
        False,
    )
    (seen_by_bob,) = bob.account_relationships(ada_id)
    assert seen_by_bob["blocked_by"] is True
    with pytest.raises(MastodonNotFoundError):
        ada.status(bobs)
    assert status_ids(ada.timeline_public()) == [sid(cys)]
    assert [a["username"] for a in ada.blocks()] == ["bob"]

    muted = ada.account_mute(cy_id, notifications=False)
    assert (muted["muting"], muted["muting_notifications"], muted["following"]) == (
        True,
        False,
        True,
    )
    assert status_ids(ada.timeline_home()) == []
    assert status_ids(ada.account_statuses(cy_id)) == [sid(cys)]  # the profile still shows
    assert [a["username"] for a in ada.mutes()] == ["cy"]
    # A mute that keeps notifications: cy's mention reaches ada.
    mention = cy.status_post("@ada are you there?")
    assert [sid(n["status"]) for n in ada.notifications(types=["mention"])] == [sid(mention)]

    ada.account_unmute(cy_id)
    ada.account_unblock(bob_id)
    relationships = ada.account_relationships([bob_id, cy_id])
    assert [(r["blocking"], r["muting"]) for r in relationships] == [(False, False)] * 2
    assert ada.blocks() == [] and ada.mutes() == []
    assert status_ids(ada.timeline_home()) == [sid(mention), sid(cys)]


def test_notifications_paging_markers_and_clearing(
    live_server: str, clients: dict[str, Mastodon]
) -> None:
    ada, bob, cy = clients["ada"], clients["bob"], clients["cy"]
    post = ada.status_post("notice me")
    bob.account_follow(ada.me()["id"])
    mention = bob.status_post("hi @ada")
    bob.status_favourite(post)
    cy.status_reblog(post)
    reply = cy.status_post("a reply", in_reply_to_id=post)

    everything = ada.notifications()
    kinds = [(n["type"], n["account"]["username"]) for n in everything]
    assert kinds == [
        ("mention", "cy"),
        ("reblog", "cy"),
        ("favourite", "bob"),
        ("mention", "bob"),
        ("follow", "bob"),
    ]
    assert sid(everything[0]["status"]) == sid(reply)
    assert sid(everything[3]["status"]) == sid(mention)
    assert everything[4].get("status") is None
    ids = [sid(n) for n in everything]

    assert [n["type"] for n in ada.notifications(types=["favourite", "follow"])] == [
        "favourite",
        "follow",
    ]
    assert [n["type"] for n in ada.notifications(exclude_types=["mention"])] == [
        "reblog",
        "favourite",
        "follow",
    ]
    assert walk(ada, ada.notifications(limit=2)) == ids
    mentions = ada.notifications(types=["mention"], limit=1)
    assert [sid(n) for n in mentions] == [ids[0]]
    assert [sid(n) for n in ada.fetch_next(mentions)] == [ids[3]]  # the filter is kept
    assert [sid(n) for n in ada.notifications(min_id=ids[2], limit=1)] == [ids[1]]
    assert sid(ada.notifications(id=ids[2])) == ids[2]

    assert ada.notifications_unread_count()["count"] == 5
    ada.markers_set("notifications", ids[2])
    assert str(ada.markers_get("notifications")["notifications"]["last_read_id"]) == ids[2]
    assert ada.notifications_unread_count()["count"] == 2
    # The home marker is kept too (clients set it as their reader scrolls).
    ada.markers_set("home", post["id"])
    both = ada.markers_get(["home", "notifications"])
    assert str(both["home"]["last_read_id"]) == str(post["id"])
    assert str(both["notifications"]["last_read_id"]) == ids[2]
    # The endpoint as a plain HTTP client sees it.
    token = ada.access_token
    response = httpx.get(
        f"{live_server}/api/v1/notifications/unread_count",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json() == {"count": 2}

    ada.notifications_dismiss(ids[0])
    assert [sid(n) for n in ada.notifications()] == ids[1:]
    with pytest.raises(MastodonNotFoundError):
        ada.notifications(id=ids[0])
    bob.status_unfavourite(post)  # undone: its notification goes
    assert [n["type"] for n in ada.notifications()] == ["reblog", "mention", "follow"]
    ada.notifications_clear()
    assert ada.notifications() == []
    assert ada.notifications_unread_count()["count"] == 0
