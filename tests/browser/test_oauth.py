"""The OAuth consent page in Chromium: a person not logged in logs in, reads which
application asks for what, and authorizes it: the out-of-band code page, or the redirect
to the application's own site (which the page's form-action must allow)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.helpers import PASSWORD, register

pytestmark = pytest.mark.browser

OOB = "urn:ietf:wg:oauth:2.0:oob"


def make_app(api: httpx.Client, redirect_uris: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/apps",
        data={
            "client_name": "Pocket Client",
            "redirect_uris": redirect_uris,
            "scopes": "read write",
            "website": "https://pocket.example",
        },
    )
    assert response.status_code == 200, response.text
    app: dict[str, str] = response.json()
    return app


def authorize_path(app: dict[str, str], redirect_uri: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri,
        "scope": "read write:statuses",
        **extra,
    }
    return f"/oauth/authorize?{urlencode(query)}"


def log_in_on_the_way(page: Page, username: str) -> None:
    """The authorization page sends a visitor to log in first, and back."""
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"))


def test_consent_then_the_code_to_copy(page: Page, api: httpx.Client) -> None:
    register(api, "alice")
    app = make_app(api, OOB)
    page.goto(authorize_path(app, OOB))
    log_in_on_the_way(page, "alice")

    consent = page.locator("form.consent")
    expect(consent.get_by_role("heading")).to_have_text("Authorize Pocket Client?")
    expect(consent.get_by_role("link", name="https://pocket.example")).to_be_visible()
    scopes = consent.locator("ul.scopes li")
    expect(scopes).to_have_count(2)
    expect(scopes.nth(0)).to_contain_text("Read everything in your account")
    expect(scopes.nth(1)).to_contain_text("Post, reply, boost and delete posts")
    expect(consent).to_contain_text("@alice")
    expect(consent.get_by_role("button", name="Deny")).to_be_visible()

    consent.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="Authorization code")).to_be_visible()
    code = page.get_by_label("Authorization code").input_value()
    assert len(code) > 20

    token = api.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": OOB,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "read write:statuses"


def test_authorize_redirects_to_the_applications_site(page: Page, api: httpx.Client) -> None:
    register(api, "alice")
    callback = "https://pocket.example/oauth/callback"
    app = make_app(api, callback)
    arrived: list[str] = []

    def pocket(route: Route) -> None:  # the application's site, as the browser reaches it
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>Signed in to Pocket</p>")

    page.route("https://pocket.example/**", pocket)
    page.goto(authorize_path(app, callback, state="s-42"))
    log_in_on_the_way(page, "alice")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(r"^https://pocket\.example/oauth/callback\?"))
    expect(page.get_by_text("Signed in to Pocket")).to_be_visible()
    (url,) = arrived
    given = parse_qs(urlsplit(url).query)
    assert given["state"] == ["s-42"]
    assert given["code"][0]
