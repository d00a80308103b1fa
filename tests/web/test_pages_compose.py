"""Composing posts through the pages, with and without htmx, and what happens on mistakes."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from tests.web.helpers import (
    Visitor,
    contents,
    flash,
    is_full_page,
    post_ids,
    textareas,
    visible_text,
)


async def test_a_post_redirects_home_and_tops_the_feed(alice: Visitor) -> None:
    await alice.compose("older")
    response = await alice.post("/posts", {"content": "  hello, world  "})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await alice.page("/")
    assert contents(home) == ["hello, world", "older"]


async def test_htmx_gets_the_new_post_as_a_fragment(alice: Visitor) -> None:
    response = await alice.post("/posts", {"content": "fresh from htmx"}, htmx=True)
    assert response.status_code == 200
    fragment = response.text
    assert not is_full_page(fragment)
    assert fragment.lstrip().startswith('<article class="post fresh" id="post-')
    assert contents(fragment) == ["fresh from htmx"]
    assert '<a class="author" href="/@alice">@alice</a>' in fragment
    assert ">just now</a>" in fragment
    assert ">0 replies</a>" in fragment
    # The author can delete it right away.
    (post_id,) = post_ids(fragment)
    assert f'hx-post="/posts/{post_id}/delete"' in fragment
    assert post_ids(await alice.page("/?mode=mine")) == [post_id]


async def test_post_text_is_escaped(alice: Visitor, visitor: Visitor) -> None:
    text = "<script>alert('x')</script> & <b>bold</b>"
    response = await alice.post("/posts", {"content": text}, htmx=True)
    assert "<script>alert" not in response.text
    # The text goes through mention linking (html.escape: quotes as &#x27;).
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        response.text
    )
    for page in (await alice.page("/"), await visitor.page("/")):
        assert "<script>alert" not in page and "<b>bold" not in page
        assert contents(page) == [text]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Post text can't be empty"),
        ("   \n\t ", "Post text can't be empty"),
        ("x" * 201, "Post text is 201 characters; the limit is 200"),
    ],
)
async def test_bad_posts_show_the_page_again_with_the_draft(
    alice: Visitor, text: str, message: str
) -> None:
    await alice.compose("already there")
    response = await alice.post("/posts", {"content": text})
    assert response.status_code == 422
    assert is_full_page(response.text)
    assert flash(response.text) == message
    # Nothing lost: the draft is back in the compose box, the counter agrees, the feed is there.
    assert textareas(response.text) == [text]
    count = re.search(r"<span class=\"count\"[^>]*>(-?\d+)</span>", response.text)
    assert count is not None
    assert int(count.group(1)) in {200 - len(text), 200 - len(text.strip())}
    assert contents(response.text) == ["already there"]
    assert contents(await alice.page("/?mode=mine")) == ["already there"]


async def test_the_kept_draft_is_escaped(alice: Visitor) -> None:
    text = "</textarea><script>alert(1)</script>" + "y" * 200
    response = await alice.post("/posts", {"content": text})
    assert response.status_code == 422
    assert "</textarea><script>" not in response.text
    assert textareas(response.text) == [text]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Post text can't be empty"),
        ("x" * 201, "Post text is 201 characters; the limit is 200"),
    ],
)
async def test_bad_posts_with_htmx_are_retargeted_to_the_flash_slot(
    alice: Visitor, text: str, message: str
) -> None:
    response = await alice.post("/posts", {"content": text}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert not is_full_page(response.text)
    assert response.text.strip() == f'<p class="error">{message}</p>'.replace("'", "&#39;")
    assert post_ids(await alice.page("/?mode=mine")) == []


async def test_two_hundred_characters_are_fine(alice: Visitor) -> None:
    text = "é" * 199 + "🙂"  # characters, not bytes or UTF-16 units
    response = await alice.post("/posts", {"content": f"\n {text} \n"}, htmx=True)
    assert response.status_code == 200, response.text
    assert contents(response.text) == [text]


async def test_logged_out_posting_asks_to_log_in(visitor: Visitor) -> None:
    response = await visitor.post("/posts", {"content": "anonymous"})
    assert response.status_code == 401
    text = visible_text(response.text)
    assert "Please log in" in text and "Log in to do that" in text
    assert '<a href="/login">Log in</a>' in response.text
    assert post_ids(await visitor.page("/")) == []


async def test_logged_out_posting_with_htmx_gets_a_message(visitor: Visitor) -> None:
    response = await visitor.post("/posts", {"content": "anonymous"}, htmx=True)
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.text.strip() == '<p class="error">Log in to do that</p>'


async def test_posting_after_the_account_is_gone_asks_to_log_in(
    alice: Visitor, app: FastAPI
) -> None:
    """A session whose user no longer exists is treated as logged out, not as a crash."""
    async with app.state.runtime.pool.connection() as conn:
        await conn.execute("DELETE FROM users WHERE username = 'alice'")
    response = await alice.post("/posts", {"content": "ghost"})
    assert response.status_code == 401
    assert '<a href="/login">Log in</a>' in response.text
    assert await alice.logged_in_as() is None
