""" "Load more": feeds and profiles page by 20 with ``max_id``, as fragments for htmx."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI

from microblog.service import Microblog
from tests.web.helpers import Visitor, flash, is_full_page, more_url, post_ids, visible_text

PAGE = 20
MALFORMED_IDS = (
    "abc",
    "-1",
    "0",
    "1.5",
    "1e3",
    "99999999999999999999",
    "9223372036854775808",
    "\uff11\uff12",  # fullwidth digits: str.isdigit() says yes, ids say no
    " ",
)


def blog_of(app: FastAPI) -> Microblog:
    microblog: Microblog = app.state.runtime.microblog
    return microblog


async def publish(app: FastAPI, username: str, count: int, prefix: str = "post") -> list[int]:
    """``count`` posts by ``username`` straight through the service (fast); their ids."""
    microblog = blog_of(app)
    user = await microblog.user_named(username)
    return [(await microblog.create_post(user.id, f"{prefix} {i}", None)).id for i in range(count)]


async def walk(who: Visitor, first: str) -> tuple[list[list[int]], str, list[str]]:
    """Read a feed as htmx does: the page, then every "Load more" fragment; the ids of each
    page, the last fragment and the "Load more" URLs followed."""
    page = await who.page(first)
    pages = [post_ids(page)]
    url = more_url(page)
    last = page
    urls = []
    while url is not None:
        urls.append(url)
        response = await who.get(url, htmx=True)
        assert response.status_code == 200, response.text
        last = response.text
        assert not is_full_page(last), url
        assert "<nav" not in last and 'id="feed"' not in last
        pages.append(post_ids(last))
        url = more_url(last)
        assert len(pages) < 50
    return pages, last, urls


async def test_the_public_feed_pages_without_repeats_or_gaps(
    app: FastAPI, alice: Visitor, bob: Visitor, visitor: Visitor
) -> None:
    ids = []
    for _ in range(3):
        ids += await publish(app, "alice", 8)
        ids += await publish(app, "bob", 7)
    # Replies are not in the public feed, and do not break its pages.
    microblog = blog_of(app)
    bob_id = (await microblog.user_named("bob")).id
    for parent in ids[::9]:
        await microblog.create_post(bob_id, "a reply", parent)

    first = await visitor.page("/")
    assert len(post_ids(first)) == PAGE
    assert "Load more" in first
    url = more_url(first)
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query == {"mode": ["all"], "max_id": [str(post_ids(first)[-1])]}

    pages, last, _ = await walk(visitor, "/")
    assert [len(p) for p in pages] == [20, 20, 5]
    seen = [i for p in pages for i in p]
    assert seen == sorted(ids, reverse=True)
    assert "You've reached the end." in last
    assert "Load more" not in last


async def test_load_more_works_as_a_plain_link_too(
    app: FastAPI, alice: Visitor, visitor: Visitor
) -> None:
    ids = await publish(app, "alice", 25)
    first = await visitor.page("/")
    url = more_url(first)
    assert url is not None
    second = await visitor.page(url)  # no HX-Request: a whole page
    assert is_full_page(second)
    assert "What people are saying" in second
    assert post_ids(second) == sorted(ids, reverse=True)[PAGE:]
    assert "You've reached the end." in second


async def test_posts_published_while_paging_do_not_shift_pages(
    app: FastAPI, alice: Visitor
) -> None:
    ids = await publish(app, "alice", 30)
    first = await alice.page("/")
    await publish(app, "alice", 5, prefix="late")
    url = more_url(first)
    assert url is not None and "mode=timeline" in url
    response = await alice.get(url, htmx=True)
    assert post_ids(response.text) == sorted(ids, reverse=True)[PAGE:]


async def test_every_tab_pages_in_its_own_mode(app: FastAPI, alice: Visitor, bob: Visitor) -> None:
    await alice.follow("bob")
    mine = await publish(app, "alice", 21)
    theirs = await publish(app, "bob", 21)
    for mode, expected in (
        ("timeline", mine + theirs),
        ("mine", mine),
        ("following", theirs),
        ("all", mine + theirs),
    ):
        pages, last, urls = await walk(alice, f"/?mode={mode}")
        assert len(urls) == len(expected) // PAGE, mode
        for url in urls:
            assert parse_qs(urlsplit(url).query)["mode"] == [mode]
        assert [i for p in pages for i in p] == sorted(expected, reverse=True), mode
        assert "You've reached the end." in last, mode


async def test_exactly_one_page_has_no_load_more(app: FastAPI, alice: Visitor) -> None:
    await publish(app, "alice", PAGE)
    page = await alice.page("/")
    assert len(post_ids(page)) == PAGE
    assert more_url(page) is None
    assert "You've reached the end." in page


async def test_an_empty_feed_says_so(alice: Visitor) -> None:
    page = await alice.page("/")
    assert "Nothing here yet." in page
    assert "You've reached the end." not in page


async def test_profiles_page_too(app: FastAPI, alice: Visitor, visitor: Visitor) -> None:
    ids = await publish(app, "alice", 23)
    page = await visitor.page("/@alice")
    url = more_url(page)
    assert url is not None
    assert url == f"/@alice?max_id={post_ids(page)[-1]}"
    pages, last, _ = await walk(visitor, "/@alice")
    assert [i for p in pages for i in p] == sorted(ids, reverse=True)
    assert "You've reached the end." in last


async def test_a_malformed_max_id_is_a_422_page(alice: Visitor) -> None:
    for path in ("/", "/?mode=mine", "/@alice"):
        for max_id in MALFORMED_IDS:
            response = await alice.get(path, params={"max_id": max_id})
            where = (path, max_id)
            assert response.status_code == 422, where
            assert is_full_page(response.text), where
            assert "max_id must be a positive integer id" in visible_text(response.text), where
            assert flash(response.text) == "", where


async def test_a_malformed_max_id_from_htmx_is_a_message(alice: Visitor) -> None:
    response = await alice.get("/", params={"max_id": "nope"}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.text.strip() == '<p class="error">max_id must be a positive integer id</p>'


async def test_an_empty_max_id_is_the_first_page(app: FastAPI, alice: Visitor) -> None:
    ids = await publish(app, "alice", 3)
    page = await alice.page("/?max_id=")
    assert post_ids(page) == sorted(ids, reverse=True)


async def test_the_biggest_max_id_is_fine(app: FastAPI, alice: Visitor) -> None:
    ids = await publish(app, "alice", 3)
    response = await alice.get("/", params={"max_id": str(2**63 - 1)}, htmx=True)
    assert response.status_code == 200
    assert post_ids(response.text) == sorted(ids, reverse=True)
