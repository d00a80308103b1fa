"""The real clients' OAuth against a real server: Mastodon.py's code flow, its
``create_account`` (a client_credentials token first) and its revocation, and toot's login,
each with httpx in place of the person who logs in and answers the consent page."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from mastodon import Mastodon, MastodonUnauthorizedError
from toot import api as toot_api
from toot import auth as toot_auth

from tests.api.helpers import PASSWORD

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
CODE = re.compile(r'<input id="oauth-code" class="oauth-code" value="([^"]+)"')
SCOPES = ["read", "write", "follow"]


def sign_up(base_url: str, name: str) -> None:
    response = httpx.post(
        f"{base_url}/api/v1/accounts", data={"username": name, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


def fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def consent(authorize_url: str, username: str) -> str:
    """What the person does in the browser: open the URL, log in, authorize; the code the
    out-of-band page shows."""
    with httpx.Client(timeout=30) as browser:
        response = browser.get(authorize_url)
        assert response.status_code == 303, response.text  # to the log-in page first
        login_url = urljoin(authorize_url, response.headers["location"])
        login = browser.get(login_url)
        form = fields(login.text) | {"username": username, "password": PASSWORD}
        logged_in = browser.post(urljoin(authorize_url, "/login"), data=form)
        assert logged_in.status_code == 303, logged_in.text
        page = browser.get(urljoin(authorize_url, logged_in.headers["location"]))
        assert page.status_code == 200, page.text
        assert "Authorize" in page.text
        answer = browser.post(
            urljoin(authorize_url, "/oauth/authorize"),
            data=fields(page.text) | {"decision": "authorize"},
        )
        assert answer.status_code == 200, answer.text
        found = CODE.search(answer.text)
        assert found is not None, answer.text
        return found.group(1)


def test_mastodon_py_logs_in_with_a_code_and_toots(live_server: str) -> None:
    sign_up(live_server, "alice")
    client_id, client_secret = Mastodon.create_app(
        "Mastodon.py tests", scopes=SCOPES, api_base_url=live_server, website="https://example.org"
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_server)
    url = api.auth_request_url(scopes=SCOPES, state="opaque", allow_http=True)
    assert url.startswith(f"{live_server}/oauth/authorize?")
    code = consent(url, "alice")
    token = api.log_in(code=code, scopes=SCOPES, allow_http=True)
    assert token
    assert api.account_verify_credentials()["username"] == "alice"
    status = api.status_post("tooted after the code flow")
    assert status["content"] == "<p>tooted after the code flow</p>"
    assert api.app_verify_credentials()["name"] == "Mastodon.py tests"
    # Its revocation sends the application's credentials: the token ends.
    api.revoke_access_token(allow_http=True)
    stale = Mastodon(access_token=token, api_base_url=live_server)
    with pytest.raises(MastodonUnauthorizedError):
        stale.account_verify_credentials()


def test_mastodon_py_reads_the_servers_metadata(live_server: str) -> None:
    info = Mastodon(api_base_url=live_server).oauth_authorization_server_info()
    assert info["authorization_endpoint"] == f"{live_server}/oauth/authorize"
    assert "authorization_code" in info["grant_types_supported"]


def test_mastodon_py_creates_an_account(live_server: str) -> None:
    client_id, client_secret = Mastodon.create_app(
        "sign-up app", scopes=SCOPES, api_base_url=live_server
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_server)
    token = api.create_account(
        "newbie", PASSWORD, "newbie@example.org", agreement=True, scopes=SCOPES
    )
    assert token
    assert api.account_verify_credentials()["username"] == "newbie"
    assert api.status_post("my first toot")["content"] == "<p>my first toot</p>"
    assert api.app_verify_credentials()["name"] == "sign-up app"


def test_toot_logs_in_through_the_consent_page(
    live_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # toot keeps its config there
    sign_up(live_server, "alice")
    app = toot_auth.get_or_create_app(live_server)
    url = toot_api.get_browser_login_url(app)
    assert "/oauth/authorize/?" in url  # toot's own spelling, with a slash
    code = consent(url, "alice")
    user = toot_auth.login_auth_code(app, code)
    assert user.username == "alice"
    toot_api.post_status(app, user, "tooted from toot")
    me = toot_api.verify_credentials(app, user).json()
    assert me["statuses_count"] == 1
    assert (tmp_path / "toot" / "config.json").exists()
