"""Setting up data through the JSON API, and the steps every browser scenario takes."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"


def register(api: httpx.Client, username: str) -> str:
    """Sign ``username`` up through the API; their bearer token."""
    response = api.post("/api/v1/accounts", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def publish(api: httpx.Client, token: str, text: str) -> int:
    """Publish a post through the API; its id."""
    response = api.post(
        "/api/v1/statuses", data={"status": text}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def follow(api: httpx.Client, token: str, username: str) -> None:
    """Follow ``username`` through the API."""
    found = api.get("/api/v1/accounts/lookup", params={"acct": username})
    assert found.status_code == 200, found.text
    response = api.post(
        f"/api/v1/accounts/{found.json()['id']}/follow",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def _submit_credentials(page: Page, path: str, button: str, username: str) -> None:
    """Fill the username and password form at ``path``; ends logged in on the home page."""
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("header.top nav")).to_contain_text(f"@{username}")


def sign_up(page: Page, username: str) -> None:
    """Sign up through the form, as a newcomer does; ends on the home page."""
    _submit_credentials(page, "/signup", "Create account", username)


def log_in(page: Page, username: str) -> None:
    """Log in through the form."""
    _submit_credentials(page, "/login", "Log in", username)


def post_ids(page: Page, scope: str = "#feed") -> list[int]:
    """Ids of the posts shown in ``scope``, top to bottom."""
    ids: list[str] = page.locator(f"{scope} article.post").evaluate_all(
        "items => items.map(item => item.id.replace('post-', ''))"
    )
    return [int(i) for i in ids]


def mark_window(page: Page) -> None:
    """Set a variable on ``window``: it survives htmx swaps and dies with a page load."""
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"
