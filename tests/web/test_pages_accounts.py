"""Accounts through the pages: sign up, log in, log out, and the profile description."""

from __future__ import annotations

import re

import httpx
import psycopg
from fastapi import FastAPI

from tests.web.conftest import NewVisitor
from tests.web.helpers import PASSWORD, Visitor, flash, textareas, visible_text

# Sign up ----------------------------------------------------------------------------------


async def test_signup_form_has_fields_and_a_csrf_token(visitor: Visitor) -> None:
    page = await visitor.page("/signup")
    assert '<form class="card auth" method="post" action="/signup">' in page
    assert 'name="username"' in page
    assert re.search(r'<input name="password" type="password"[^>]*required', page)
    assert visitor.csrf is not None and len(visitor.csrf) >= 20
    assert "Create account" in page


async def test_signup_redirects_home_logged_in(visitor: Visitor) -> None:
    response = await visitor.post("/signup", {"username": "newcomer", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert await visitor.logged_in_as() == "newcomer"
    home = await visitor.page("/")
    assert '<form class="compose card"' in home
    profile = await visitor.page("/@newcomer")
    assert "<h1>@newcomer</h1>" in profile


async def test_signup_with_a_taken_name_shows_the_form_again(
    alice: Visitor, visitor: Visitor
) -> None:
    response = await visitor.post("/signup", {"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 422
    assert "is already taken" in flash(response.text)
    assert 'value="ALICE"' in response.text
    assert await visitor.logged_in_as() is None


async def test_signup_rejects_bad_names_and_short_passwords(visitor: Visitor) -> None:
    bad_name = await visitor.post("/signup", {"username": "no spaces!", "password": PASSWORD})
    assert bad_name.status_code == 422
    assert "letters, digits or underscores" in flash(bad_name.text)
    assert 'value="no spaces!"' in bad_name.text

    short = await visitor.post("/signup", {"username": "shorty", "password": "1234567"})
    assert short.status_code == 422
    assert "at least 8 characters" in flash(short.text)
    assert 'value="shorty"' in short.text
    assert PASSWORD not in short.text and "1234567" not in short.text  # never echoed
    assert await visitor.logged_in_as() is None


# Log in and out ---------------------------------------------------------------------------


async def test_login_starts_a_session(alice: Visitor, visitor: Visitor) -> None:
    page = await visitor.page("/login")
    assert '<form class="card auth" method="post" action="/login">' in page
    response = await visitor.log_in("alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert await visitor.logged_in_as() == "alice"


async def test_login_ignores_username_case_and_spaces(alice: Visitor, visitor: Visitor) -> None:
    response = await visitor.log_in("  Alice ")
    assert response.status_code == 303
    assert await visitor.logged_in_as() == "alice"


async def test_wrong_password_shows_a_message_and_keeps_the_username(
    alice: Visitor, visitor: Visitor
) -> None:
    response = await visitor.log_in("alice", "not the password")
    assert response.status_code == 422
    assert flash(response.text) == "Wrong username or password"
    assert re.search(r'<input name="username" value="alice"', response.text)
    assert "not the password" not in response.text
    assert await visitor.logged_in_as() is None


async def test_unknown_user_gets_the_same_message(visitor: Visitor) -> None:
    response = await visitor.log_in("nobody", PASSWORD)
    assert response.status_code == 422
    assert flash(response.text) == "Wrong username or password"
    assert 'value="nobody"' in response.text


async def test_login_gives_a_new_csrf_token(alice: Visitor, visitor: Visitor) -> None:
    before = await visitor.token()
    await visitor.log_in("alice")
    after = await visitor.token()
    assert after != before
    # The old token belongs to the anonymous session that ended.
    response = await visitor.post("/posts", {"content": "stale token"}, csrf=before)
    assert response.status_code == 403


async def test_logout_ends_the_session(alice: Visitor) -> None:
    response = await alice.log_out()
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert await alice.logged_in_as() is None
    home = await alice.page("/")
    assert '<form class="compose card"' not in home
    # A page that needs a login now asks for one.
    settings = await alice.get("/settings/profile")
    assert settings.status_code == 401


async def test_logout_in_one_browser_keeps_the_other_logged_in(
    alice: Visitor, new_visitor: NewVisitor
) -> None:
    other = await new_visitor()
    await other.log_in("alice")
    await alice.log_out()
    assert await other.logged_in_as() == "alice"


# Profile description ----------------------------------------------------------------------


async def test_settings_need_a_login(visitor: Visitor) -> None:
    response = await visitor.get("/settings/profile")
    assert response.status_code == 401
    assert "Please log in" in response.text
    assert '<a href="/login">Log in</a>' in response.text


async def test_description_is_saved_and_shown_on_the_profile(alice: Visitor) -> None:
    page = await alice.page("/settings/profile")
    assert '<form class="card" method="post" action="/settings/profile">' in page
    assert textareas(page) == [""]

    text = "Bakes <bread> & writes code"
    response = await alice.post("/settings/profile", {"description": text})
    assert response.status_code == 303
    assert response.headers["location"] == "/@alice"
    profile = await alice.page("/@alice")
    assert '<p class="description">Bakes &lt;bread&gt; &amp; writes code</p>' in profile
    assert textareas(await alice.page("/settings/profile")) == [text]


async def test_description_of_501_characters_is_refused_and_kept(alice: Visitor) -> None:
    await alice.post("/settings/profile", {"description": "before"})
    text = "d" * 500 + "!"
    response = await alice.post("/settings/profile", {"description": text})
    assert response.status_code == 422
    assert flash(response.text) == "Description is limited to 500 characters"
    assert textareas(response.text) == [text]
    assert '<p class="description">before</p>' in await alice.page("/@alice")


async def test_description_of_500_characters_is_fine(alice: Visitor) -> None:
    text = "é" * 500
    response = await alice.post("/settings/profile", {"description": f"  {text}\n"})
    assert response.status_code == 303
    assert f'<p class="description">{text}</p>' in await alice.page("/@alice")


async def test_description_can_be_cleared(alice: Visitor) -> None:
    await alice.post("/settings/profile", {"description": "temporary"})
    response = await alice.post("/settings/profile", {"description": ""})
    assert response.status_code == 303
    profile = await alice.page("/@alice")
    assert 'class="description"' not in profile
    assert "temporary" not in visible_text(profile)


async def test_saving_a_description_needs_a_login(visitor: Visitor) -> None:
    response = await visitor.post("/settings/profile", {"description": "hi"})
    assert response.status_code == 401
    assert '<a href="/login">Log in</a>' in response.text


async def test_a_database_failure_is_an_error_page_not_a_log_out(
    alice: Visitor, app: FastAPI
) -> None:
    # The session lookup fails (the table is away for a moment: a botched migration, say) ...
    url = app.state.runtime.settings.database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE sessions RENAME TO sessions_away")
        try:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=alice.http.cookies
            ) as browser:
                failed = await browser.get("/")
        finally:
            conn.execute("ALTER TABLE sessions_away RENAME TO sessions")
    assert failed.status_code == 500  # ... which is an error page ...
    assert "Traceback" not in failed.text and "sessions_away" not in failed.text
    assert "set-cookie" not in failed.headers  # the cookie is not cleared
    # ... and the session survives it: still logged in as alice.
    assert await alice.logged_in_as() == "alice"
