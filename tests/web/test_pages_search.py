"""The search page (/search, and the search box in every page's header) and the hashtag
pages (/tags/{tag}, with "Load more")."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.web.conftest import NewVisitor
from tests.web.helpers import Visitor, contents, flash, more_url, post_ids, visible_text

HEADER_BOX = re.compile(
    r'<header class="top">.*?<form class="search-box" method="get" action="/search" '
    r'role="search">\s*<input type="search" name="q"',
    re.S,
)


def section(page: str, name: str) -> str:
    """The HTML of the page's section with this id."""
    found = re.search(rf'<section class="card" id="{name}">(.*?)</section>', page, re.S)
    assert found is not None, f"no #{name} section"
    return found.group(1)


def texts(page: str) -> list[str]:
    """The posts' texts as read (their links' markup left out)."""
    return [re.sub(r"<[^>]+>", "", text) for text in contents(page)]


def linked_names(html: str) -> list[str]:
    return re.findall(r'<a href="/@(\w+)">', html)


async def test_every_page_has_the_search_box(visitor: Visitor, alice: Visitor) -> None:
    for who, url in ((visitor, "/"), (visitor, "/login"), (alice, "/"), (alice, "/@alice")):
        assert HEADER_BOX.search(await who.page(url)), url
    # The logged-in top bar still starts with the reader's own name.
    assert await alice.logged_in_as() == "alice"


async def test_an_empty_query_asks_for_one(visitor: Visitor) -> None:
    for url in ("/search", "/search?q=", "/search?q=+++"):
        page = await visitor.page(url)
        assert "Type a name, some words or a #hashtag to search for." in visible_text(page)
        assert 'id="accounts"' not in page and "<article" not in page


async def test_people_hashtags_and_posts(alice: Visitor, new_visitor: NewVisitor) -> None:
    bob = await new_visitor()
    await bob.sign_up("bobcat")
    await bob.compose("Bobcats are #WildCats, says @alice")
    await alice.compose("I saw a bobcat on a #wildcat walk")
    await alice.compose("nothing about it")
    page = await alice.page("/search?q=bobcat")
    assert linked_names(section(page, "accounts")) == ["bobcat"]
    assert "No hashtags found." in section(page, "hashtags")
    assert texts(page) == ["I saw a bobcat on a #wildcat walk"]
    assert 'value="bobcat"' in page  # the query stays in the boxes

    page = await alice.page("/search?q=%23wild")
    tags = section(page, "hashtags")
    assert re.findall(r'<a href="/tags/(\w+)">#\1</a>', tags) == ["wildcat", "wildcats"]
    assert "1 post" in visible_text(tags)
    assert "Nobody found." in section(page, "accounts")
    assert len(post_ids(page)) == 0  # words: "wild" is no word of either post
    page = await alice.page("/search?q=wildcats")
    assert texts(page) == ["Bobcats are #WildCats, says @alice"]


async def test_visitors_find_people_and_hashtags_but_no_posts(
    visitor: Visitor, alice: Visitor
) -> None:
    await alice.compose("a #public post by alice")
    page = await visitor.page("/search?q=ali")
    assert linked_names(section(page, "accounts")) == ["alice"]
    assert "Log in to search posts." in visible_text(page)
    assert post_ids(page) == []
    assert "#public" in visible_text(section(await visitor.page("/search?q=pub"), "hashtags"))


async def test_only_posts_the_reader_may_see(alice: Visitor, new_visitor: NewVisitor) -> None:
    bob = await new_visitor()
    await bob.sign_up("bob")
    response = await bob.post(
        "/posts", {"content": "secret gardens, followers only", "visibility": "private"}
    )
    assert response.status_code == 303
    await bob.compose("secret gardens, in public")
    assert contents(await alice.page("/search?q=secret")) == ["secret gardens, in public"]
    await alice.follow("bob")
    assert contents(await alice.page("/search?q=secret")) == [
        "secret gardens, in public",
        "secret gardens, followers only",
    ]
    await alice.post("/@bob/mute")
    assert contents(await alice.page("/search?q=secret")) == []


async def test_more_posts_load_in_place(app: FastAPI, alice: Visitor) -> None:
    page_size = app.state.runtime.settings.page_size
    posted = [await alice.compose(f"numbered note {i}") for i in range(page_size + 3)]
    page = await alice.page("/search?q=note")
    assert post_ids(page) == posted[::-1][:page_size]
    more = more_url(page)
    assert more == f"/search?q=note&offset={page_size}"
    fragment = await alice.get(more, htmx=True)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="accounts"' not in fragment.text
    assert post_ids(fragment.text) == posted[::-1][page_size:]
    assert more_url(fragment.text) is None
    # Without JavaScript, the link is a page of more posts.
    plain = await alice.page(more)
    assert post_ids(plain) == posted[::-1][page_size:]


async def test_a_bad_query_is_shown_why(visitor: Visitor) -> None:
    response = await visitor.get("/search", params={"q": "x" * 501})
    assert response.status_code == 422
    assert flash(response.text) == "The search is too long (at most 500 characters)"
    assert "x" * 501 in response.text  # what was typed, kept
    response = await visitor.get("/search", params={"q": "a", "offset": "lots"})
    assert response.status_code == 422


async def test_the_tag_page(app: FastAPI, alice: Visitor, visitor: Visitor) -> None:
    page_size = app.state.runtime.settings.page_size
    posted = [await alice.compose(f"#Sunset number {i}") for i in range(page_size + 2)]
    response = await alice.post("/posts", {"content": "#sunset for me", "visibility": "private"})
    assert response.status_code == 303
    await alice.compose("no tag, sunset")
    page = await visitor.page("/tags/SunSet")
    assert "<h1>#sunset</h1>" in page
    assert post_ids(page) == posted[::-1][:page_size]
    more = more_url(page)
    assert more == f"/tags/sunset?max_id={posted[2]}"
    fragment = await visitor.get(more, htmx=True)
    assert "<html" not in fragment.text
    assert post_ids(fragment.text) == posted[1::-1]
    assert more_url(fragment.text) is None
    # The posts link their hashtags to this page.
    assert 'href="/tags/sunset"' in page


async def test_tag_pages_of_no_posts_and_of_no_hashtag(visitor: Visitor) -> None:
    page = await visitor.page("/tags/quiet")
    assert "Nothing here yet." in visible_text(page)
    response = await visitor.get("/tags/12345")
    assert response.status_code == 404
    assert "No such hashtag" in response.text
