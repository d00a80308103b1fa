"""Sessions end on the server: a copied cookie stops working after logout, password change
or "log out everywhere"; the lifetime is a setting; weak passwords are refused."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from microblog.settings import Settings
from tests.web.conftest import NewVisitor
from tests.web.helpers import PASSWORD, Visitor, flash, visible_text


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sessions of three days here."""
    return settings.replace(session_days=3)


def copy_of(visitor: Visitor, app: FastAPI) -> Visitor:
    """Another browser holding a copy of the visitor's cookies (a stolen cookie)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.cookies.update(visitor.http.cookies)
    return Visitor(client, csrf=visitor.csrf, username=visitor.username)


async def test_a_copied_cookie_stops_working_after_logout(alice: Visitor, app: FastAPI) -> None:
    thief = copy_of(alice, app)
    async with thief.http:
        assert await thief.logged_in_as() == "alice"
        assert (await alice.log_out()).status_code == 303
        assert await thief.logged_in_as() is None
        refused = await thief.post("/posts", {"content": "posted with a stolen cookie"})
        assert refused.status_code == 401


async def test_logging_in_again_after_logout_works(alice: Visitor) -> None:
    await alice.log_out()
    assert (await alice.log_in("alice")).status_code == 303
    assert await alice.logged_in_as() == "alice"


async def test_log_out_everywhere_ends_every_browser(
    alice: Visitor, new_visitor: NewVisitor, app: FastAPI
) -> None:
    laptop = await new_visitor()
    assert (await laptop.log_in("alice")).status_code == 303
    thief = copy_of(alice, app)
    async with thief.http:
        response = await alice.post("/settings/logout-everywhere")
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert await alice.logged_in_as() is None
        assert await laptop.logged_in_as() is None
        assert await thief.logged_in_as() is None


async def test_changing_the_password_ends_other_sessions_and_tokens(
    alice: Visitor, new_visitor: NewVisitor, client: httpx.AsyncClient
) -> None:
    laptop = await new_visitor()
    await laptop.log_in("alice")
    token = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer)).is_success

    new = "a brand new passphrase"
    response = await alice.post(
        "/settings/password", {"current_password": PASSWORD, "new_password": new}
    )
    assert response.status_code == 200
    assert "Password changed" in visible_text(response.text)
    assert await alice.logged_in_as() == "alice"  # this browser stays in
    assert await laptop.logged_in_as() is None
    after = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert after.status_code == 401
    assert (await laptop.log_in("alice", PASSWORD)).status_code == 422
    assert (await laptop.log_in("alice", new)).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("not my password", "a brand new passphrase", "Wrong current password"),
        (PASSWORD, "short", "at least 8 characters"),
        (PASSWORD, "password", "most common"),
    ],
)
async def test_a_refused_password_change_changes_nothing(
    alice: Visitor, current: str, new: str, message: str
) -> None:
    response = await alice.post(
        "/settings/password", {"current_password": current, "new_password": new}
    )
    assert response.status_code == 422
    assert message in flash(response.text)
    assert await alice.logged_in_as() == "alice"
    await alice.log_out()
    assert (await alice.log_in("alice", PASSWORD)).status_code == 303


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "most common"),
        ("12345678", "most common"),
        ("Qwertyuiop", "most common"),
        ("        ", "at least 8 characters"),
        ("  abc   ", "at least 8 characters"),
        ("newcomer", "can't be your username"),
    ],
)
async def test_sign_up_refuses_weak_passwords(
    visitor: Visitor, password: str, message: str
) -> None:
    response = await visitor.post("/signup", {"username": "newcomer", "password": password})
    assert response.status_code == 422
    assert message in flash(response.text)
    assert await visitor.logged_in_as() is None


async def test_an_expired_session_logs_nobody_in(
    alice: Visitor, app: FastAPI, clean_db: str
) -> None:
    # Moved into the past behind the server's back: what it remembered of the session
    # (``credentials``, never past the session's end) is forgotten too, as by a restart.
    with psycopg.connect(clean_db, autocommit=True) as conn:
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    app.state.runtime.microblog.credentials.forget()
    assert await alice.logged_in_as() is None


async def test_the_session_lifetime_is_a_setting(visitor: Visitor, clean_db: str) -> None:
    response = await visitor.post("/signup", {"username": "newcomer", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert f"Max-Age={3 * 24 * 3600}" in cookie
    with psycopg.connect(clean_db, autocommit=True) as conn:
        row = conn.execute(
            "SELECT round(extract(epoch FROM expires_at - created_at)) FROM sessions"
        ).fetchone()
    assert row is not None and int(row[0]) == 3 * 24 * 3600
