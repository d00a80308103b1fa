"""A post's page (thread and reply form), replies, and deleting posts."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.web.conftest import NewVisitor
from tests.web.helpers import (
    Visitor,
    article,
    contents,
    flash,
    is_full_page,
    post_ids,
    textareas,
    visible_text,
)


def sections(page: str) -> tuple[list[int], list[int], list[int]]:
    """(ancestors, the post, replies) of a post page, as post ids."""
    thread = re.search(r'<section class="thread">(.*?)</section>', page, re.S)
    replies = re.search(r'<section id="replies" class="feed">(.*?)</section>', page, re.S)
    assert thread is not None and replies is not None
    focus = re.search(r'<div class="focus">(.*?)</div>', thread.group(1), re.S)
    assert focus is not None
    above = post_ids(thread.group(1).replace(focus.group(0), ""))
    return above, post_ids(focus.group(1)), post_ids(replies.group(1))


@dataclass
class Thread:
    """root (alice) ← middle (bob) ← leaf (carol); side (dave) also answers root."""

    alice: Visitor
    bob: Visitor
    carol: Visitor
    root: int
    middle: int
    leaf: int
    side: int


@pytest.fixture
async def thread(alice: Visitor, bob: Visitor, new_visitor: NewVisitor) -> Thread:
    carol, dave = await new_visitor(), await new_visitor()
    await carol.sign_up("carol")
    await dave.sign_up("dave")
    root = await alice.compose("the root")
    middle = await bob.compose("the middle", parent_id=root)
    leaf = await carol.compose("the leaf", parent_id=middle)
    side = await dave.compose("a side reply", parent_id=root)
    return Thread(alice, bob, carol, root, middle, leaf, side)


# The thread ------------------------------------------------------------------------------


async def test_a_post_page_shows_ancestors_the_post_and_replies(thread: Thread) -> None:
    page = await thread.alice.page(f"/posts/{thread.middle}")
    assert sections(page) == ([thread.root], [thread.middle], [thread.leaf])
    assert "<title>@bob: the middle · microblog</title>" in page
    leaf = article(page, thread.leaf)
    assert "replying to" in leaf
    assert f'<a href="/posts/{thread.middle}">@bob</a>' in leaf
    middle = article(page, thread.middle)
    assert f'<a href="/posts/{thread.root}">@alice</a>' in middle
    assert ">1 reply</a>" in middle


async def test_the_root_lists_every_reply_below_it_oldest_first(thread: Thread) -> None:
    page = await thread.alice.page(f"/posts/{thread.root}")
    assert sections(page) == ([], [thread.root], [thread.middle, thread.leaf, thread.side])
    root = article(page, thread.root)
    assert "replying to" not in root
    assert ">2 replies</a>" in root


async def test_a_leaf_shows_its_ancestors_root_first(thread: Thread) -> None:
    page = await thread.alice.page(f"/posts/{thread.leaf}")
    assert sections(page) == ([thread.root, thread.middle], [thread.leaf], [])


async def test_visitors_can_read_but_not_reply(thread: Thread, visitor: Visitor) -> None:
    page = await visitor.page(f"/posts/{thread.middle}")
    assert sections(page)[1] == [thread.middle]
    assert "<textarea" not in page
    assert '<a href="/login">Log in</a> to reply.' in page


async def test_the_reply_form_answers_this_post(thread: Thread) -> None:
    page = await thread.alice.page(f"/posts/{thread.middle}")
    assert f'<input type="hidden" name="parent_id" value="{thread.middle}">' in page
    assert 'placeholder="Reply to @bob"' in page
    assert 'hx-target="#replies" hx-swap="beforeend"' in page
    assert re.search(r'<button type="submit">Reply</button>', page)


async def test_a_reply_redirects_to_the_post_and_shows_there(thread: Thread) -> None:
    response = await thread.alice.post(
        "/posts", {"content": "alice answers bob", "parent_id": str(thread.middle)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/posts/{thread.middle}"
    page = await thread.alice.page(response.headers["location"])
    replies = sections(page)[2]
    assert len(replies) == 2 and replies[0] == thread.leaf
    reply = article(page, replies[1])
    assert "alice answers bob" in reply
    assert re.search(rf'replying to\s+<a href="/posts/{thread.middle}">@bob</a>', reply)
    assert ">2 replies</a>" in article(page, thread.middle)


async def test_a_reply_with_htmx_comes_back_as_a_fragment(thread: Thread) -> None:
    response = await thread.bob.post(
        "/posts", {"content": "bob again", "parent_id": str(thread.leaf)}, htmx=True
    )
    assert response.status_code == 200
    assert not is_full_page(response.text)
    assert contents(response.text) == ["bob again"]
    assert f'<a href="/posts/{thread.leaf}">@carol</a>' in response.text


async def test_replies_stay_out_of_the_public_feed(thread: Thread, visitor: Visitor) -> None:
    assert post_ids(await visitor.page("/")) == [thread.root]


async def test_a_bad_reply_shows_the_thread_again_with_the_draft(thread: Thread) -> None:
    text = "z" * 201
    response = await thread.alice.post("/posts", {"content": text, "parent_id": str(thread.leaf)})
    assert response.status_code == 422
    assert flash(response.text) == "Post text is 201 characters; the limit is 200"
    assert sections(response.text) == ([thread.root, thread.middle], [thread.leaf], [])
    assert textareas(response.text) == [text]
    assert f'name="parent_id" value="{thread.leaf}"' in response.text


async def test_replying_to_a_missing_post_is_a_404(thread: Thread) -> None:
    response = await thread.alice.post("/posts", {"content": "hello?", "parent_id": "999999"})
    assert response.status_code == 404
    assert "The post you are replying to does not exist" in visible_text(response.text)
    assert post_ids(await thread.alice.page("/?mode=mine")) == [thread.root]


async def test_replying_to_a_malformed_id_is_a_422(thread: Thread) -> None:
    for parent_id in ("abc", "-1", "1.0"):
        response = await thread.alice.post("/posts", {"content": "hi", "parent_id": parent_id})
        assert response.status_code == 422, parent_id
        assert "parent_id must be a positive integer id" in visible_text(response.text)
    assert post_ids(await thread.alice.page("/?mode=mine")) == [thread.root]


async def test_an_unknown_post_is_a_404_page(visitor: Visitor) -> None:
    response = await visitor.get("/posts/123456")
    assert response.status_code == 404
    assert is_full_page(response.text)
    text = visible_text(response.text)
    assert "Not found" in text and "No such post" in text
    assert '<a href="/">Back to the feed</a>' in response.text


async def test_a_malformed_post_id_is_a_422_page(alice: Visitor) -> None:
    for post_id in (
        "abc",
        "1.5",
        "-3",
        "0",
        "99999999999999999999",
        "1%20or%201=1",
        "%F0%9F%99%82",
    ):
        for url in (f"/posts/{post_id}", f"/posts/{post_id}/delete"):
            response = await alice.get(url)
            assert response.status_code == 422, url
            assert is_full_page(response.text), url
            assert "id must be a positive integer id" in visible_text(response.text), url
        response = await alice.post(f"/posts/{post_id}/delete")
        assert response.status_code == 422, post_id


async def test_odd_urls_get_a_page_not_a_crash(visitor: Visitor) -> None:
    for url in (
        "/posts",
        "/posts/",
        "/posts/1/2",
        "/@",
        "/@nobody/followers",
        "/@nobody/following",
        "/nowhere",
        "/?mode=mine&max_id=x",
        "/static/nothing.js",
    ):
        response = await visitor.get(url, follow_redirects=True)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert "Traceback" not in response.text, url


# Deleting ---------------------------------------------------------------------------------


async def test_the_author_gets_a_confirmation_page(thread: Thread) -> None:
    page = await thread.alice.page(f"/posts/{thread.root}/delete")
    assert "<h1>Delete this post?</h1>" in page
    assert "the root" in page
    assert f'<form method="post" action="/posts/{thread.root}/delete"' in page
    assert '<button type="submit" class="danger">Delete</button>' in page
    assert f'<a href="/posts/{thread.root}">Cancel</a>' in page


async def test_others_get_no_confirmation_page(thread: Thread, visitor: Visitor) -> None:
    response = await thread.bob.get(f"/posts/{thread.root}/delete")
    assert response.status_code == 404
    assert "No such post of yours" in visible_text(response.text)
    anonymous = await visitor.get(f"/posts/{thread.root}/delete")
    assert anonymous.status_code == 401
    assert '<a href="/login">Log in</a>' in anonymous.text


async def test_deleting_removes_the_post(thread: Thread, visitor: Visitor) -> None:
    lone = await thread.alice.compose("short-lived")
    assert "<strong>2</strong> posts" in await visitor.page("/@alice")
    response = await thread.alice.post(f"/posts/{lone}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == "/?mode=mine"
    assert (await visitor.get(f"/posts/{lone}")).status_code == 404
    assert lone not in post_ids(await visitor.page("/"))
    mine = await thread.alice.page("/?mode=mine")
    assert post_ids(mine) == [thread.root]
    assert "<strong>1</strong> posts" in await visitor.page("/@alice")
    # Gone is gone: its confirmation page and a second delete are 404s.
    assert (await thread.alice.get(f"/posts/{lone}/delete")).status_code == 404
    assert (await thread.alice.post(f"/posts/{lone}/delete")).status_code == 404


async def test_others_cannot_delete(thread: Thread) -> None:
    response = await thread.bob.post(f"/posts/{thread.root}/delete")
    assert response.status_code == 403
    assert "You can only delete your own posts" in visible_text(response.text)
    htmx = await thread.bob.post(f"/posts/{thread.root}/delete", htmx=True)
    assert htmx.status_code == 403
    assert htmx.headers["HX-Retarget"] == "#flash"
    assert sections(await thread.bob.page(f"/posts/{thread.root}"))[1] == [thread.root]


async def test_logged_out_cannot_delete(thread: Thread, visitor: Visitor) -> None:
    response = await visitor.post(f"/posts/{thread.root}/delete")
    assert response.status_code == 401
    assert (await visitor.get(f"/posts/{thread.root}")).status_code == 200


async def test_deleting_with_htmx_answers_an_empty_200(thread: Thread) -> None:
    response = await thread.carol.post(f"/posts/{thread.leaf}/delete", htmx=True)
    assert response.status_code == 200
    assert response.text == ""
    page = await thread.carol.page(f"/posts/{thread.middle}")
    assert sections(page)[2] == []
    assert ">0 replies</a>" in article(page, thread.middle)


async def test_replies_outlive_a_deleted_parent(thread: Thread) -> None:
    await thread.bob.post(f"/posts/{thread.middle}/delete")
    page = await thread.carol.page(f"/posts/{thread.leaf}")
    assert sections(page) == ([], [thread.leaf], [])
    leaf = article(page, thread.leaf)
    assert re.search(r"replying to\s+a deleted post", leaf)
    root_page = await thread.alice.page(f"/posts/{thread.root}")
    assert sections(root_page)[2] == [thread.side]
