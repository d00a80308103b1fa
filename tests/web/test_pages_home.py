"""The home page: the `all` feed for visitors, four tabs for users, each with the right posts."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.web.conftest import NewVisitor
from tests.web.helpers import Visitor, contents, flash, is_full_page, post_ids, visible_text

TAB = re.compile(r'<a href="/\?mode=(\w+)"( class="active" aria-current="page")?>(\w+)</a>')


def tabs(page: str) -> list[tuple[str, bool, str]]:
    """(mode, active, label) of each feed tab."""
    return [(m.group(1), bool(m.group(2)), m.group(3)) for m in TAB.finditer(page)]


def feed_mode(page: str) -> str:
    found = re.search(r'<section id="feed" class="feed" data-mode="(\w+)">', page)
    assert found is not None
    return found.group(1)


@dataclass
class Network:
    """alice follows bob; bob follows carol; nobody follows dave. Each posted, some replied.

    Posts, oldest first: a1, b1, c1, d1, b-reply (bob to a1), a-reply (alice to d1), a2.
    """

    alice: Visitor
    bob: Visitor
    carol: Visitor
    dave: Visitor
    ids: dict[str, int]


@pytest.fixture
async def network(alice: Visitor, bob: Visitor, new_visitor: NewVisitor) -> Network:
    carol, dave = await new_visitor(), await new_visitor()
    await carol.sign_up("carol")
    await dave.sign_up("dave")
    await alice.follow("bob")
    await bob.follow("carol")
    ids = {}
    ids["a1"] = await alice.compose("a1 by alice")
    ids["b1"] = await bob.compose("b1 by bob")
    ids["c1"] = await carol.compose("c1 by carol")
    ids["d1"] = await dave.compose("d1 by dave")
    ids["b-reply"] = await bob.compose("b-reply by bob", parent_id=ids["a1"])
    ids["a-reply"] = await alice.compose("a-reply by alice", parent_id=ids["d1"])
    ids["a2"] = await alice.compose("a2 by alice")
    return Network(alice, bob, carol, dave, ids)


def expect(network: Network, *names: str) -> list[int]:
    """The ids of the named posts, newest first (as feeds list them)."""
    return sorted((network.ids[n] for n in names), reverse=True)


async def test_visitors_see_every_top_level_post_and_no_compose_box(
    network: Network, visitor: Visitor
) -> None:
    page = await visitor.page("/")
    assert post_ids(page) == expect(network, "a1", "b1", "c1", "d1", "a2")
    assert "b-reply by bob" not in page and "a-reply by alice" not in page
    assert "<textarea" not in page and 'action="/posts"' not in page
    assert "What people are saying" in page
    assert '<a href="/signup">Sign up</a>' in page
    assert tabs(page) == [("all", True, "All")]
    assert feed_mode(page) == "all"
    # No delete links for a visitor.
    assert "/delete" not in page
    assert "You've reached the end." in page


async def test_visitors_asking_for_another_feed_get_all(network: Network, visitor: Visitor) -> None:
    page = await visitor.page("/?mode=timeline")
    assert feed_mode(page) == "all"
    assert post_ids(page) == expect(network, "a1", "b1", "c1", "d1", "a2")


async def test_users_get_four_tabs_and_the_timeline_first(network: Network) -> None:
    page = await network.alice.page("/")
    assert tabs(page) == [
        ("timeline", True, "Timeline"),
        ("mine", False, "Mine"),
        ("following", False, "Following"),
        ("all", False, "All"),
    ]
    assert feed_mode(page) == "timeline"
    assert '<form class="compose card" method="post" action="/posts"' in page
    assert "What people are saying" not in page


async def test_timeline_has_own_and_followed_posts_with_replies(network: Network) -> None:
    page = await network.alice.page("/?mode=timeline")
    assert post_ids(page) == expect(network, "a1", "b1", "b-reply", "a-reply", "a2")
    assert post_ids(page) == post_ids(await network.alice.page("/"))
    assert tabs(page)[0] == ("timeline", True, "Timeline")


async def test_mine_has_only_own_posts(network: Network) -> None:
    page = await network.alice.page("/?mode=mine")
    assert post_ids(page) == expect(network, "a1", "a-reply", "a2")
    assert feed_mode(page) == "mine"
    assert ("mine", True, "Mine") in tabs(page)
    # Every one of them can be deleted from here.
    for post_id in post_ids(page):
        assert f'hx-post="/posts/{post_id}/delete"' in page


async def test_following_has_followed_posts_but_not_own(network: Network) -> None:
    page = await network.alice.page("/?mode=following")
    assert post_ids(page) == expect(network, "b1", "b-reply")
    bob_page = await network.bob.page("/?mode=following")
    assert post_ids(bob_page) == expect(network, "c1")
    assert contents(bob_page) == ["c1 by carol"]


async def test_all_has_everyone_top_level_for_users_too(network: Network) -> None:
    page = await network.alice.page("/?mode=all")
    assert post_ids(page) == expect(network, "a1", "b1", "c1", "d1", "a2")
    assert ("all", True, "All") in tabs(page)
    # Own posts get a delete link, others' do not.
    assert f'hx-post="/posts/{network.ids["a2"]}/delete"' in page
    assert f'hx-post="/posts/{network.ids["d1"]}/delete"' not in page


async def test_a_user_following_nobody_sees_own_posts_only(network: Network) -> None:
    timeline = await network.dave.page("/")
    assert post_ids(timeline) == expect(network, "d1")
    following = await network.dave.page("/?mode=following")
    assert post_ids(following) == []
    assert "Nothing here yet." in following


async def test_feeds_follow_changes(network: Network) -> None:
    await network.dave.follow("alice")
    page = await network.dave.page("/?mode=following")
    assert post_ids(page) == expect(network, "a1", "a-reply", "a2")
    assert (await network.dave.post("/@alice/unfollow")).status_code == 303
    assert post_ids(await network.dave.page("/?mode=following")) == []


async def test_an_unknown_feed_is_a_422_page(network: Network) -> None:
    for mode in ("bogus", "TIMELINE", "<script>"):
        response = await network.alice.get("/", params={"mode": mode})
        assert response.status_code == 422, mode
        assert is_full_page(response.text)
        text = visible_text(response.text)
        assert "That didn't work" in text
        assert f"Unknown feed {mode!r}" in text
        assert flash(response.text) == ""
        assert 'href="/">Back to the feed</a>' in response.text
        assert "<script>" not in response.text.replace('<script src="/static/', "")


async def test_an_empty_mode_means_the_timeline(network: Network) -> None:
    page = await network.alice.page("/?mode=")
    assert feed_mode(page) == "timeline"


async def test_replies_in_feeds_say_whom_they_answer(network: Network) -> None:
    page = await network.alice.page("/?mode=timeline")
    reply = re.search(
        rf'id="post-{network.ids["b-reply"]}">.*?<p class="reply-to">(.*?)</p>', page, re.S
    )
    assert reply is not None
    assert f'<a href="/posts/{network.ids["a1"]}">@alice</a>' in reply.group(1)
    assert "replying to" in reply.group(1)
