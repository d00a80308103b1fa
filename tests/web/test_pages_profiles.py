"""Profiles: counts, posts, the follow button (plain and htmx), followers and following."""

from __future__ import annotations

import re

from fastapi import FastAPI

from microblog.service import Microblog
from tests.web.conftest import NewVisitor
from tests.web.helpers import Visitor, contents, is_full_page, visible_text

COUNTS = re.compile(
    r"<strong>(\d+)</strong> posts</span>.*?<strong>(\d+)</strong> following</a>.*?"
    r"<strong>(\d+)</strong> followers?",
    re.S,
)
FOLLOW_BOX = re.compile(r'<div id="follow-box" class="follow-box">.*?\n</div>', re.S)


def counts(page: str) -> tuple[int, int, int]:
    """(posts, following, followers) of a profile page."""
    found = COUNTS.search(page)
    assert found is not None
    posts, following, followers = (int(g) for g in found.groups())
    return posts, following, followers


def follow_button(page: str) -> tuple[str, str] | None:
    """(form action, button label) of the follow box, or None without a button."""
    box = FOLLOW_BOX.search(page)
    assert box is not None, "no follow box"
    form = re.search(
        r'<form method="post" action="([^"]+)" hx-post="\1" hx-target="#follow-box" '
        r'hx-swap="outerHTML" class="inline">.*?<button type="submit"[^>]*>(\w+)</button>',
        box.group(0),
        re.S,
    )
    return (form.group(1), form.group(2)) if form else None


def people(page: str) -> list[str]:
    """Usernames listed on a followers/following page."""
    return re.findall(r'<li><a href="/@(\w+)">@\1</a>', page)


async def test_a_profile_shows_who_and_what(alice: Visitor, bob: Visitor, visitor: Visitor) -> None:
    await bob.post("/settings/profile", {"description": "I am <bob>"})
    first = await bob.compose("bob's first")
    await bob.compose("bob's reply", parent_id=first)
    await alice.compose("alice's post")
    await bob.follow("alice")

    page = await visitor.page("/@bob")
    assert "<title>@bob · microblog</title>" in page
    assert "<h1>@bob</h1>" in page
    assert '<p class="description">I am &lt;bob&gt;</p>' in page
    assert counts(page) == (2, 1, 0)
    assert contents(page) == ["bob's reply", "bob's first"]
    assert '<a href="/@bob/following"><strong>1</strong> following</a>' in page
    assert '<a href="/@bob/followers"><strong>0</strong> followers</a>' in page
    # Visitors get no button; neither does one's own profile, which links to the settings.
    assert follow_button(page) is None
    assert "Edit description" not in page
    own = await bob.page("/@bob")
    assert follow_button(own) is None
    assert '<a href="/settings/profile">Edit description</a>' in own
    # Another user gets the button.
    assert follow_button(await alice.page("/@bob")) == ("/@bob/follow", "Follow")
    assert follow_button(await bob.page("/@alice")) == ("/@alice/unfollow", "Unfollow")


async def test_following_and_unfollowing_through_the_form(
    alice: Visitor, bob: Visitor, visitor: Visitor
) -> None:
    response = await alice.post("/@bob/follow")
    assert response.status_code == 303
    assert response.headers["location"] == "/@bob"
    page = await alice.page("/@bob")
    assert follow_button(page) == ("/@bob/unfollow", "Unfollow")
    assert counts(page)[2] == 1
    assert counts(await visitor.page("/@alice"))[1] == 1

    # Following again changes nothing.
    await alice.post("/@bob/follow")
    assert counts(await visitor.page("/@bob"))[2] == 1

    response = await alice.post("/@bob/unfollow")
    assert response.status_code == 303
    page = await alice.page("/@bob")
    assert follow_button(page) == ("/@bob/follow", "Follow")
    assert counts(page)[2] == 0
    assert counts(await visitor.page("/@alice"))[1] == 0
    # Unfollowing again is fine too.
    assert (await alice.post("/@bob/unfollow")).status_code == 303


async def test_following_with_htmx_swaps_the_follow_box(
    alice: Visitor, bob: Visitor, new_visitor: NewVisitor
) -> None:
    carol = await new_visitor()
    await carol.sign_up("carol")
    await carol.follow("bob")

    response = await alice.post("/@bob/follow", htmx=True)
    assert response.status_code == 200
    box = response.text
    assert not is_full_page(box)
    assert box.startswith('<div id="follow-box" class="follow-box">')
    assert follow_button(box) == ("/@bob/unfollow", "Unfollow")
    assert '<a href="/@bob/followers"><strong>2</strong> followers</a>' in box
    assert 'class="secondary"' in box
    # The box is the same as the one on the page, so the swap leaves the page as it would be.
    page = await alice.page("/@bob")
    found = FOLLOW_BOX.search(page)
    assert found is not None and found.group(0) == box.strip()

    response = await alice.post("/@bob/unfollow", htmx=True)
    assert response.status_code == 200
    assert follow_button(response.text) == ("/@bob/follow", "Follow")
    assert "<strong>1</strong> follower<" in response.text


async def test_following_oneself_is_refused(alice: Visitor) -> None:
    response = await alice.post("/@alice/follow")
    assert response.status_code == 422
    assert "You can't follow yourself" in visible_text(response.text)
    htmx = await alice.post("/@alice/follow", htmx=True)
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == "#flash"
    assert counts(await alice.page("/@alice")) == (0, 0, 0)


async def test_following_needs_a_login_and_a_user(alice: Visitor, visitor: Visitor) -> None:
    anonymous = await visitor.post("/@alice/follow")
    assert anonymous.status_code == 401
    assert '<a href="/login">Log in</a>' in anonymous.text
    missing = await alice.post("/@nobody/follow")
    assert missing.status_code == 404
    assert (await alice.post("/@nobody/unfollow")).status_code == 404


async def test_usernames_are_found_in_any_case(alice: Visitor, bob: Visitor) -> None:
    page = await alice.page("/@BoB")
    assert "<h1>@bob</h1>" in page
    response = await alice.post("/@BOB/follow")
    assert response.headers["location"] == "/@bob"
    assert counts(await alice.page("/@bob"))[2] == 1


async def test_an_unknown_user_is_a_404_page(visitor: Visitor) -> None:
    for url in ("/@nobody", "/@nobody/followers", "/@nobody/following", "/@no%20body"):
        response = await visitor.get(url)
        assert response.status_code == 404, url
        assert is_full_page(response.text)
        text = visible_text(response.text)
        assert "Not found" in text and "No user called" in text, url


async def test_followers_and_following_lists(
    alice: Visitor, bob: Visitor, visitor: Visitor, new_visitor: NewVisitor
) -> None:
    carol = await new_visitor()
    await carol.sign_up("carol")
    await alice.follow("bob")
    await carol.follow("bob")
    await alice.follow("carol")

    followers = await visitor.page("/@bob/followers")
    assert '<h1><a href="/@bob">@bob</a> · Followers</h1>' in followers
    assert people(followers) == ["carol", "alice"]  # newest account first
    assert re.search(r"@carol</a>\s*<span class=\"muted\">1 follower</span>", followers)
    following = await visitor.page("/@alice/following")
    assert '<h1><a href="/@alice">@alice</a> · Following</h1>' in following
    assert people(following) == ["carol", "bob"]
    nobody = await visitor.page("/@bob/following")
    assert people(nobody) == []
    assert "Nobody yet." in nobody
    # The profile links to both lists.
    profile = await visitor.page("/@bob")
    assert 'href="/@bob/followers"' in profile and 'href="/@bob/following"' in profile


async def test_long_follower_lists_have_a_more_link(
    app: FastAPI, bob: Visitor, visitor: Visitor
) -> None:
    microblog: Microblog = app.state.runtime.microblog
    target = await microblog.user_named("bob")
    names = [f"fan{i:02d}" for i in range(55)]
    for name in names:
        fan = await microblog.sign_up(name, "a long password")
        await microblog.follow(fan.id, target.id)

    first = await visitor.page("/@bob/followers")
    assert len(people(first)) == 50
    more = re.search(r'<a class="button" href="(/@bob/followers\?max_id=\d+)">More</a>', first)
    assert more is not None
    second = await visitor.page(more.group(1))
    assert "More</a>" not in second
    assert sorted(people(first) + people(second)) == names
    assert counts(await visitor.page("/@bob"))[2] == 55
