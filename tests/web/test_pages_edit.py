"""Editing one's own post from the pages: an Edit link on one's posts only, a form with the
text and content warning, the post page after saving, and the form again (with what was
typed and why) when the edit is refused."""

from __future__ import annotations

from tests.web.helpers import Visitor


async def test_one_edits_ones_own_post_from_its_page(alice: Visitor, bob: Visitor) -> None:
    post_id = await alice.compose("first draft")
    page = await alice.page(f"/posts/{post_id}")
    assert f'href="/posts/{post_id}/edit"' in page
    assert f'href="/posts/{post_id}/edit"' not in await bob.page(f"/posts/{post_id}")

    form = await alice.page(f"/posts/{post_id}/edit")
    assert ">first draft</textarea>" in form
    saved = await alice.post(
        f"/posts/{post_id}/edit", {"content": "second draft", "spoiler_text": "spoilers"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/posts/{post_id}"
    shown = await alice.page(f"/posts/{post_id}")
    assert "second draft" in shown and "first draft" not in shown
    assert "spoilers" in shown and 'class="edited"' in shown


async def test_a_refused_edit_shows_the_form_again(alice: Visitor) -> None:
    post_id = await alice.compose("keep me")
    refused = await alice.post(f"/posts/{post_id}/edit", {"content": "x" * 201})
    assert refused.status_code == 422
    assert "x" * 201 in refused.text  # what was typed is kept
    assert 'class="error"' in refused.text
    assert "keep me" in await alice.page(f"/posts/{post_id}")  # nothing changed


async def test_nobody_edits_someone_elses_post(alice: Visitor, bob: Visitor) -> None:
    post_id = await alice.compose("alice's words")
    assert (await bob.get(f"/posts/{post_id}/edit")).status_code == 404
    taken = await bob.post(f"/posts/{post_id}/edit", {"content": "bob's words"})
    assert taken.status_code == 404
    without_token = await alice.post(f"/posts/{post_id}/edit", {"content": "x"}, csrf=None)
    assert without_token.status_code == 403
    assert "alice&#39;s words" in await alice.page(f"/posts/{post_id}")
