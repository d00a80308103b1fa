"""CSRF: every form post without this session's token is refused with 403 and changes nothing.

Each test tries one form with no token, an empty one, a made-up one and another session's
token, as a plain form and as htmx (header), checks that nothing observable changed, and
then submits the form properly to show the check would have seen the change.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from tests.web.conftest import NewVisitor
from tests.web.helpers import CSRF_MESSAGE, PASSWORD, Visitor, is_full_page

COUNTS = re.compile(
    r"<strong>(\d+)</strong> posts</span>.*?<strong>(\d+)</strong> following</a>.*?"
    r"<strong>(\d+)</strong> followers?",
    re.S,
)


@dataclass
class World:
    """alice (logged in, follows carol, has a post), bob (logged in elsewhere, has a post),
    and a visitor who only looks."""

    alice: Visitor
    bob: Visitor
    looker: Visitor
    alice_post: int
    bob_post: int

    async def snapshot(self) -> dict[str, object]:
        """Everything the forms could change, as the pages show it."""
        state: dict[str, object] = {}
        for name in ("alice", "bob", "carol"):
            page = await self.looker.page(f"/@{name}")
            counts = COUNTS.search(page)
            assert counts is not None
            state[name] = counts.groups()
            description = re.search(r'<p class="description">(.*?)</p>', page)
            state[f"{name} description"] = description and description.group(1)
        state["alice logged in"] = await self.alice.logged_in_as()
        state["bob logged in"] = await self.bob.logged_in_as()
        state["looker logged in"] = await self.looker.logged_in_as()
        state["mallory"] = (await self.looker.get("/@mallory")).status_code
        state["posts"] = (await self.looker.get(f"/posts/{self.alice_post}")).text.count(
            '<article class="post'
        )
        return state


@pytest.fixture
async def world(alice: Visitor, bob: Visitor, new_visitor: NewVisitor) -> World:
    carol = await new_visitor()
    await carol.sign_up("carol")
    await alice.follow("carol")
    alice_post = await alice.compose("alice's post")
    bob_post = await bob.compose("bob's post")
    return World(alice, bob, await new_visitor(), alice_post, bob_post)


Attempt = Callable[[str | None, bool], Awaitable[None]]


async def refused_every_way(world: World, actor: Visitor, url: str, data: dict[str, str]) -> None:
    """Post ``data`` to ``url`` as ``actor`` with every kind of bad token; all refused."""
    other_session = await world.bob.token()
    assert other_session != await actor.token()
    before = await world.snapshot()
    for token in (None, "", "not-the-token-" + "x" * 30, other_session):
        for htmx in (False, True):
            response = await actor.post(url, data, htmx=htmx, csrf=token)
            where = (url, token, htmx)
            assert response.status_code == 403, where
            assert CSRF_MESSAGE in response.text, where
            if htmx:
                assert response.headers["HX-Retarget"] == "#flash", where
                assert not is_full_page(response.text), where
                assert response.text.startswith('<p class="error">'), where
            else:
                assert is_full_page(response.text)
                assert "<h1>Not allowed</h1>" in response.text
            assert await world.snapshot() == before, where


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/posts", {"content": "forged post"}),
        ("/posts", {"content": "forged reply", "parent_id": "{alice_post}"}),
        ("/posts/{alice_post}/delete", {}),
        ("/@bob/follow", {}),
        ("/@carol/unfollow", {}),
        ("/settings/profile", {"description": "forged description"}),
    ],
    ids=["post", "reply", "delete", "follow", "unfollow", "description"],
)
async def test_csrf_guards_every_form_that_changes_something(
    world: World, url: str, data: dict[str, str]
) -> None:
    url = url.format(alice_post=world.alice_post)
    data = {k: v.format(alice_post=world.alice_post) for k, v in data.items()}
    await refused_every_way(world, world.alice, url, data)
    before = await world.snapshot()
    assert (await world.alice.post(url, data)).status_code == 303  # with the token: done
    assert await world.snapshot() != before


async def test_csrf_guards_logging_out(world: World) -> None:
    await refused_every_way(world, world.alice, "/logout", {})
    assert await world.alice.logged_in_as() == "alice"
    assert (await world.alice.post("/logout")).status_code == 303
    assert await world.alice.logged_in_as() is None


async def test_csrf_guards_logging_in(world: World) -> None:
    data = {"username": "alice", "password": PASSWORD}
    await refused_every_way(world, world.looker, "/login", data)
    assert (await world.looker.post("/login", data)).status_code == 303
    assert await world.looker.logged_in_as() == "alice"


async def test_csrf_guards_signing_up(world: World) -> None:
    data = {"username": "mallory", "password": PASSWORD}
    await refused_every_way(world, world.looker, "/signup", data)
    before = await world.snapshot()
    assert (await world.looker.post("/signup", data)).status_code == 303
    assert await world.snapshot() != before


async def test_a_refused_post_keeps_the_session_token_working(world: World) -> None:
    """Being refused does not reset the session: the page's token still works after."""
    token = await world.alice.token()
    refused = await world.alice.post("/posts", {"content": "x"}, csrf="wrong")
    assert refused.status_code == 403
    assert world.alice.csrf == token
    ok = await world.alice.post("/posts", {"content": "fine"}, csrf=token)
    assert ok.status_code == 303
