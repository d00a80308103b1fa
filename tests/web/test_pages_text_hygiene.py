"""Text that can't be stored, through the pages: NUL (or another control character, or a
noncharacter) in a form is the form again with a message naming the field, nothing stored;
in a path or query parameter, an error page. Never a 500.

A form can't carry a lone surrogate: its UTF-8 bytes (ED A0 80) are invalid and arrive as
U+FFFD, which is a character like any other."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import NewVisitor
from tests.web.helpers import PASSWORD, Visitor, contents, flash, visible_text

UNSTORABLE = "can't be stored"
BAD = ["\x00", "\x07", "\ufffe"]


def assert_form_again(response: httpx.Response, message: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert UNSTORABLE in flash(response.text) and message in flash(response.text), response.text


async def test_sign_up(visitor: Visitor) -> None:
    for char in BAD:
        bad_name = await visitor.post("/signup", {"username": f"bob{char}", "password": PASSWORD})
        assert_form_again(bad_name, "Username")
        bad_password = await visitor.post(
            "/signup", {"username": "bob", "password": PASSWORD + char}
        )
        assert_form_again(bad_password, "Password")
    nul = await visitor.post("/signup", {"username": "b\x00b", "password": PASSWORD})
    assert flash(nul.text) == "Username contains a character that can't be stored (NUL)"
    assert await visitor.logged_in_as() is None
    assert (await visitor.get("/@bob")).status_code == 404


async def test_log_in(alice: Visitor, visitor: Visitor) -> None:
    for char in BAD:
        assert_form_again(await visitor.log_in(f"alice{char}"), "Username")
        assert_form_again(await visitor.log_in("alice", PASSWORD + char), "Password")
    assert await visitor.logged_in_as() is None


async def test_description(alice: Visitor) -> None:
    for char in BAD:
        response = await alice.post("/settings/profile", {"description": f"about{char}me"})
        assert_form_again(response, "Description")
    profile = await alice.page("/@alice")
    assert "about" not in visible_text(profile)


async def test_password_change_and_account_deletion(alice: Visitor) -> None:
    for char in BAD:
        new = await alice.post(
            "/settings/password",
            {"current_password": PASSWORD, "new_password": f"another good one{char}"},
        )
        assert_form_again(new, "Password")
        current = await alice.post(
            "/settings/password",
            {"current_password": PASSWORD + char, "new_password": "another good one"},
        )
        assert_form_again(current, "Password")
        delete = await alice.post("/settings/delete", {"password": PASSWORD + char})
        assert_form_again(delete, "Password")
    assert await alice.logged_in_as() == "alice"  # same password, same account


async def test_post_text(alice: Visitor) -> None:
    for char in BAD:
        page = await alice.post("/posts", {"content": f"hello{char}"})
        assert_form_again(page, "Post text")
        fragment = await alice.post("/posts", {"content": f"hello{char}"}, htmx=True)
        assert fragment.status_code == 422
        assert "Post text contains a character that can't be stored" in visible_text(fragment.text)
    assert contents(await alice.page("/?mode=mine")) == []


async def test_a_surrogate_s_bytes_in_a_form_arrive_as_replacement_characters(
    alice: Visitor,
) -> None:
    token = await alice.token()
    response = await alice.http.post(
        "/posts",
        content=f"content=a%ED%A0%80b&csrf_token={token}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303, response.text
    assert contents(await alice.page("/?mode=mine")) == ["a\ufffd\ufffd\ufffdb"]


@pytest.mark.parametrize(
    "url",
    [
        "/@us%00er1",
        "/@alice%00",
        "/@alice%00/followers",
        "/@%EF%BF%BE",
        "/?mode=%00",
        "/?max_id=1%00",
        "/login?next=/%00",
        "/posts/1%00",
        "/?anything=%07",
    ],
)
async def test_paths_and_query_parameters(new_visitor: NewVisitor, url: str) -> None:
    visitor = await new_visitor()
    response = await visitor.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    assert UNSTORABLE in visible_text(response.text) or response.status_code == 404, response.text
