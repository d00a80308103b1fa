"""Deleting one's account from the settings: a confirmation page asks for the password (the
form is CSRF-protected like the others); afterwards every browser of the account is logged
out and its pages are gone."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.web.conftest import NewVisitor
from tests.web.helpers import CSRF_MESSAGE, PASSWORD, Visitor, flash, post_ids, visible_text


def copy_of(visitor: Visitor, app: FastAPI) -> Visitor:
    """Another browser holding a copy of the visitor's cookies."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.cookies.update(visitor.http.cookies)
    return Visitor(client, csrf=visitor.csrf, username=visitor.username)


async def test_the_settings_lead_to_a_confirmation_that_asks_for_the_password(
    alice: Visitor,
) -> None:
    settings = await alice.page("/settings")
    assert 'action="/settings/delete"' in settings
    page = await alice.page("/settings/delete")
    text = visible_text(page)
    assert "Delete your account?" in text
    assert "@alice" in text
    assert 'name="password" type="password"' in page
    assert 'name="csrf_token"' in page


async def test_visitors_are_asked_to_log_in(visitor: Visitor) -> None:
    response = await visitor.get("/settings/delete")
    assert response.status_code == 401
    response = await visitor.post("/settings/delete", {"password": PASSWORD})
    assert response.status_code == 401


async def test_a_wrong_password_or_a_forged_form_deletes_nothing(alice: Visitor) -> None:
    post_id = await alice.compose("still here")
    wrong = await alice.post("/settings/delete", {"password": "not my password"})
    assert wrong.status_code == 422
    assert flash(wrong.text) == "Wrong password: your account was not deleted"
    assert 'name="password" type="password"' in wrong.text  # the form again
    empty = await alice.post("/settings/delete", {"password": ""})
    assert empty.status_code == 422
    assert flash(empty.text) == "Type your password to delete your account"
    forged = await alice.post("/settings/delete", {"password": PASSWORD}, csrf=None)
    assert forged.status_code == 403
    assert CSRF_MESSAGE in forged.text
    other_site = await alice.post("/settings/delete", {"password": PASSWORD}, csrf="guess")
    assert other_site.status_code == 403
    assert await alice.logged_in_as() == "alice"
    assert post_id in post_ids(await alice.page("/@alice"))


async def test_the_right_password_deletes_the_account_and_logs_every_browser_out(
    alice: Visitor, bob: Visitor, new_visitor: NewVisitor, app: FastAPI
) -> None:
    carol = await new_visitor()
    await carol.sign_up("carol")
    await bob.compose("bob's own")
    hers = await alice.compose("alice's post")
    await bob.follow("alice")
    await bob.follow("carol")
    answer = await bob.compose("bob answers", hers)
    assert hers in post_ids(await bob.page("/"))
    other_browser = copy_of(alice, app)
    async with other_browser.http:
        assert await other_browser.logged_in_as() == "alice"

        done = await alice.post("/settings/delete", {"password": PASSWORD})
        assert done.status_code == 200, done.text
        assert "@alice and everything in it are gone" in visible_text(done.text)

        assert await alice.logged_in_as() is None
        assert await other_browser.logged_in_as() is None
        refused = await other_browser.post("/posts", {"content": "from beyond"})
        assert refused.status_code == 401
    assert (await bob.get("/@alice")).status_code == 404
    assert (await bob.get(f"/posts/{hers}")).status_code == 404
    timeline = await bob.page("/")
    assert hers not in post_ids(timeline)
    assert answer in post_ids(timeline)
    assert "deleted post" in visible_text(await bob.page(f"/posts/{answer}"))
    assert "2 posts 1 following" in visible_text(await bob.page("/@bob"))  # alice no more
    assert "alice" not in visible_text(await bob.page("/@bob/following"))

    again = await new_visitor()
    await again.sign_up("alice")  # the name is free again
    assert await again.logged_in_as() == "alice"
    assert post_ids(await again.page("/@alice")) == []
