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


# Content warnings, display names and hashtags in the pages ------------------------------------
# (issue 10: what clients send, shown in the pages too)


def cw_block(page: str, post_id: int) -> re.Match[str] | None:
    """The content warning of a rendered post: (warning, content) inside <details>."""
    return re.search(
        r'<details class="cw">\s*<summary><span class="cw-label">Content warning:</span> '
        r'(.*?)</summary>\s*<p class="content">(.*?)</p>\s*</details>',
        article(page, post_id),
        re.S,
    )


async def test_a_content_warning_hides_the_text_behind_a_click(
    alice: Visitor, visitor: Visitor
) -> None:
    response = await alice.post(
        "/posts", {"content": "the twist <is> here", "spoiler_text": "  Film spoilers  "}
    )
    assert response.status_code == 303
    (post_id,) = post_ids(await alice.page("/?mode=mine"))
    for page in (
        await alice.page("/"),
        await visitor.page("/"),
        await visitor.page(f"/posts/{post_id}"),
        await visitor.page("/@alice"),
    ):
        found = cw_block(page, post_id)
        assert found is not None, article(page, post_id)
        assert found.group(1) == "Film spoilers"
        assert found.group(2) == "the twist &lt;is&gt; here"
        # The text is only inside the <details> (closed: no "open" attribute).
        assert article(page, post_id).count("the twist") == 1
        assert '<details class="cw" open' not in page
    # The post page's title names the warning, not the hidden text.
    post_page = await visitor.page(f"/posts/{post_id}")
    title = re.search(r"<title>(.*?)</title>", post_page, re.S)
    assert title is not None and "Film spoilers" in title.group(1)
    assert "twist" not in title.group(1)


async def test_a_post_without_a_warning_has_no_details(alice: Visitor) -> None:
    post_id = await alice.compose("plain")
    page = await alice.page("/")
    assert "<details" not in article(page, post_id)
    assert contents(page) == ["plain"]


async def test_htmx_compose_with_a_warning_gets_it_in_the_fragment(alice: Visitor) -> None:
    response = await alice.post("/posts", {"content": "hidden", "spoiler_text": "cw"}, htmx=True)
    assert response.status_code == 200
    (post_id,) = post_ids(response.text)
    found = cw_block(response.text, post_id)
    assert found is not None and found.groups() == ("cw", "hidden")


async def test_the_compose_form_offers_a_content_warning(alice: Visitor) -> None:
    page = await alice.page("/")
    field = re.search(r'<input id="spoiler-new"[^>]*>', page)
    assert field is not None
    assert 'name="spoiler_text"' in field.group(0) and 'maxlength="100"' in field.group(0)
    assert '<label for="spoiler-new"' in page
    # A reply starts with the warning of the post it answers, as on Mastodon.
    await alice.post("/posts", {"content": "root", "spoiler_text": "politics"})
    (root,) = post_ids(await alice.page("/?mode=mine"))
    reply_form = await alice.page(f"/posts/{root}")
    reply_field = re.search(rf'<input id="spoiler-{root}"[^>]*>', reply_form)
    assert reply_field is not None and 'value="politics"' in reply_field.group(0)


async def test_a_warning_too_long_is_refused_and_what_was_typed_kept(alice: Visitor) -> None:
    warning = "w" * 101
    response = await alice.post("/posts", {"content": "keep me", "spoiler_text": warning})
    assert response.status_code == 422
    assert "Content warning is 101 characters; the limit is 100" in flash(response.text)
    assert "keep me" in textareas(response.text)
    assert f'value="{warning}"' in response.text
    assert post_ids(await alice.page("/?mode=mine")) == []


async def test_display_name_is_edited_in_settings_and_shown(
    alice: Visitor, bob: Visitor, visitor: Visitor
) -> None:
    settings = await alice.page("/settings")
    field = re.search(r'<input id="display_name"[^>]*>', settings)
    assert field is not None and 'maxlength="30"' in field.group(0)
    saved = await alice.post(
        "/settings/profile", {"description": "hi", "display_name": "  Alice <A.>  "}
    )
    assert saved.status_code == 303
    assert 'value="Alice &lt;A.&gt;"' in await alice.page("/settings")
    profile = await visitor.page("/@alice")
    assert '<p class="display-name">Alice &lt;A.&gt;</p>' in profile
    assert "<h1>@alice</h1>" in profile
    assert re.search(r"<title>Alice &lt;A.&gt; \(@alice\)", profile)
    post_id = await alice.compose("signed")
    shown = article(await visitor.page("/"), post_id)
    assert (
        '<a class="display-name" href="/@alice">Alice &lt;A.&gt;</a> '
        '<a class="author" href="/@alice">@alice</a>'
    ) in shown
    await bob.follow("alice")
    people = await visitor.page("/@bob/following")
    assert '<a class="display-name" href="/@alice">Alice &lt;A.&gt;</a>' in people
    # bob has none: his name is his @username alone.
    bob_post = await bob.compose("unsigned")
    assert 'class="display-name"' not in article(await visitor.page("/"), bob_post)
    # The description form without the field (an older page) keeps the name.
    await alice.post("/settings/profile", {"description": "again"})
    assert '<p class="display-name">Alice &lt;A.&gt;</p>' in await visitor.page("/@alice")
    # Empty clears it.
    await alice.post("/settings/profile", {"description": "again", "display_name": ""})
    assert 'class="display-name"' not in await visitor.page("/@alice")


async def test_a_display_name_too_long_is_refused_and_kept(alice: Visitor) -> None:
    name = "n" * 31
    response = await alice.post("/settings/profile", {"description": "d", "display_name": name})
    assert response.status_code == 422
    assert "Display name is limited to 30 characters" in visible_text(response.text)
    assert f'value="{name}"' in response.text
    assert 'class="display-name"' not in await alice.page("/@alice")


async def test_hashtags_link_to_their_pages(alice: Visitor, visitor: Visitor) -> None:
    post_id = await alice.compose("#Python and #rust, not#this")
    shown = article(await visitor.page(f"/posts/{post_id}"), post_id)
    assert (
        '<a href="/tags/python" class="mention hashtag" rel="tag">#<span>Python</span></a> and '
        '<a href="/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a>, not#this'
    ) in shown
