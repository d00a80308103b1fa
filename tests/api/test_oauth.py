"""OAuth 2 as Mastodon clients use it: applications, the authorization-code flow through the
consent page (PKCE S256), client_credentials and password grants, revocation, the server's
metadata and the page of authorized apps. In process, at an https origin (Authlib refuses
OAuth over plain http but on loopback; one test checks that refusal)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from microblog import passwords
from microblog.app import create_app
from microblog.domain import scopes
from microblog.settings import Settings
from tests.api.helpers import PASSWORD, auth, register
from tests.web.helpers import Visitor, check_response, visible_text

OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://client.example/callback"
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
CODE_INPUT = re.compile(r'<input id="oauth-code" class="oauth-code" value="([^"]+)"')

NewVisitor = Callable[[], Awaitable[Visitor]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app at an https origin, as OAuth wants it."""
    return settings.replace(public_url="https://testserver")


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2's cheapest settings: these tests log in a lot."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
async def new_visitor(app: FastAPI) -> AsyncIterator[NewVisitor]:
    """Browsers (cookie jars) on the app; every answer is checked for 5xx and traces."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> Visitor:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            event_hooks={"response": [check_response]},
        )
        clients.append(client)
        return Visitor(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def alice(new_visitor: NewVisitor, client: httpx.AsyncClient) -> Visitor:
    """A browser logged in as alice."""
    await register(client, "alice")
    browser = await new_visitor()
    assert (await browser.log_in("alice")).status_code == 303
    return browser


async def make_app(
    client: httpx.AsyncClient,
    redirect_uris: str = OOB,
    scopes: str | None = "read write follow push",
    **extra: str,
) -> dict[str, Any]:
    """Register an application; its Application entity (with its credentials)."""
    data = {"client_name": "Test App", "redirect_uris": redirect_uris, **extra}
    if scopes is not None:
        data["scopes"] = scopes
    response = await client.post("/api/v1/apps", data=data)
    assert response.status_code == 200, response.text
    entity: dict[str, Any] = response.json()
    return entity


def authorize_url(app: dict[str, Any], **params: str) -> str:
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": OOB}
    query.update(params)
    return f"/oauth/authorize?{urlencode(query)}"


def consent_fields(page: str) -> dict[str, str]:
    """The hidden fields of the consent form (the request, and the CSRF token)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


async def decide(
    browser: Visitor, app: dict[str, Any], decision: str = "authorize", **params: str
) -> httpx.Response:
    """Open the consent page for the request and answer it."""
    page = await browser.get(authorize_url(app, **params))
    assert page.status_code == 200, page.text
    fields = consent_fields(page.text)
    fields["decision"] = decision
    response = await browser.http.post("/oauth/authorize", data=fields)
    return response


def code_of(response: httpx.Response) -> str:
    """The code of an answer to the consent form: in the redirect, or shown (oob)."""
    if response.status_code == 302:
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    assert response.status_code == 200, response.text
    found = CODE_INPUT.search(response.text)
    assert found is not None, response.text
    return found.group(1)


async def get_code(browser: Visitor, app: dict[str, Any], **params: str) -> str:
    return code_of(await decide(browser, app, **params))


async def exchange(
    client: httpx.AsyncClient,
    app: dict[str, Any],
    code: str,
    redirect_uri: str = OOB,
    basic: bool = False,
    **extra: str,
) -> httpx.Response:
    """``POST /oauth/token`` with the code (client_secret_post, or client_secret_basic)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data.update(extra)
    headers = {}
    if basic:
        pair = f"{app['client_id']}:{app['client_secret']}".encode()
        headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
    else:
        data |= {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    return await client.post("/oauth/token", data=data, headers=headers)


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> str:
    """An RFC 6749 error answer; its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body
    description: str = body.get("error_description", "")
    return description


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def client_token(
    client: httpx.AsyncClient, app: dict[str, Any], scope: str | None = None
) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    if scope is not None:
        data["scope"] = scope
    return await client.post("/oauth/token", data=data)


def database(settings: Settings) -> psycopg.Connection[Any]:
    return psycopg.connect(settings.database_url, autocommit=True)


# Applications ----------------------------------------------------------------------------------


async def test_registering_an_application(client: httpx.AsyncClient, settings: Settings) -> None:
    app = await make_app(
        client,
        redirect_uris=f"{CALLBACK}\nmyapp://oauth  {OOB}",
        scopes="read write:statuses",
        website="https://client.example",
    )
    assert app["name"] == "Test App"
    assert app["website"] == "https://client.example"
    assert app["redirect_uris"] == [CALLBACK, "myapp://oauth", OOB]
    assert app["redirect_uri"] == f"{CALLBACK}\nmyapp://oauth\n{OOB}"
    assert app["scopes"] == ["read", "write:statuses"]
    assert app["vapid_key"] == ""
    assert app["client_id"] and app["client_secret"]
    with database(settings) as conn:
        row = conn.execute(
            "SELECT client_secret_hash, redirect_uris FROM oauth_apps WHERE client_id = %s",
            (app["client_id"],),
        ).fetchone()
    assert row is not None
    assert bytes(row[0]) == hashlib.sha256(app["client_secret"].encode()).digest()
    # Defaults: out of band, read, and a name.
    plain = (await client.post("/api/v1/apps", data={})).json()
    assert plain["redirect_uris"] == [OOB]
    assert plain["scopes"] == ["read"]
    assert plain["name"] == "client"
    # A JSON list of redirect URIs (some clients send one) works too.
    listed = await client.post(
        "/api/v1/apps", json={"client_name": "json", "redirect_uris": [CALLBACK, OOB]}
    )
    assert listed.json()["redirect_uris"] == [CALLBACK, OOB]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("redirect_uris", "not a uri", "redirect_uris"),
        ("redirect_uris", "/relative/path", "redirect_uris"),
        ("redirect_uris", "https://client.example/cb#fragment", "redirect_uris"),
        ("redirect_uris", "javascript:alert(1)", "redirect_uris"),
        ("redirect_uris", "https://", "redirect_uris"),
        ("redirect_uris", "https://client.example/é", "redirect_uris"),
        ("scopes", "read admin:write", "Unknown scope"),
        ("website", "javascript:alert(1)", "website"),
        ("website", "client.example", "website"),
        ("client_name", "x" * 101, "client_name"),
    ],
)
async def test_a_bad_registration_is_422(
    client: httpx.AsyncClient, field: str, value: str, words: str
) -> None:
    response = await client.post("/api/v1/apps", data={"client_name": "app", field: value})
    assert response.status_code == 422, response.text
    assert words in response.json()["error"]


# The authorization-code flow ---------------------------------------------------------------------


async def test_code_flow_out_of_band(client: httpx.AsyncClient, alice: Visitor) -> None:
    app = await make_app(client, website="https://client.example")
    page = await alice.get(authorize_url(app, scope="read write:statuses"))
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Authorize Test App" in text
    assert "https://client.example" in text
    assert "@alice" in text
    assert "Read everything in your account" in text
    assert "Post, reply, boost and delete posts" in text
    assert "write:statuses" in text
    assert page.headers["cache-control"] == "no-store"

    fields = consent_fields(page.text)
    assert fields["client_id"] == app["client_id"]
    response = await alice.http.post("/oauth/authorize", data=fields | {"decision": "authorize"})
    assert response.status_code == 200
    assert "Copy this code" in visible_text(response.text)
    code = code_of(response)

    issued = await exchange(client, app, code)
    assert issued.status_code == 200, issued.text
    token = issued.json()
    assert set(token) == {"access_token", "token_type", "scope", "created_at"}
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write:statuses"
    assert isinstance(token["created_at"], int)
    assert issued.headers["cache-control"] == "no-store"
    bearer = auth(token["access_token"])
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.json()["username"] == "alice"
    posted = await client.post("/api/v1/statuses", data={"status": "via app"}, headers=bearer)
    assert posted.status_code == 200, posted.text
    mine = await client.get("/api/v1/apps/verify_credentials", headers=bearer)
    assert mine.status_code == 200
    assert mine.json()["name"] == "Test App"
    assert "client_secret" not in mine.json()


async def test_code_flow_with_a_redirect_and_state(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    app = await make_app(client, redirect_uris=f"{CALLBACK} {OOB}")
    response = await decide(alice, app, redirect_uri=CALLBACK, state="xyz 123", scope="read")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    given = parse_qs(location.query)
    assert given["state"] == ["xyz 123"]
    issued = await exchange(client, app, given["code"][0], redirect_uri=CALLBACK, basic=True)
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "read"


async def test_the_consent_page_lets_the_form_lead_to_the_redirect_uri(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    # Browsers hold a form's redirects to the page's form-action.
    app = await make_app(client, redirect_uris=f"{CALLBACK} myapp://done")
    page = await alice.get(authorize_url(app, redirect_uri=CALLBACK))
    policies = page.headers.get_list("content-security-policy")
    assert len(policies) == 1, policies
    assert "form-action 'self' https://client.example;" in policies[0]
    custom = await alice.get(authorize_url(app, redirect_uri="myapp://done"))
    assert "form-action 'self' myapp:;" in custom.headers["content-security-policy"]


async def test_logging_in_first_and_coming_back(
    client: httpx.AsyncClient, new_visitor: NewVisitor
) -> None:
    await register(client, "alice")
    app = await make_app(client)
    browser = await new_visitor()
    url = authorize_url(app, scope="read", state="s1")
    response = await browser.get(url)
    assert response.status_code == 303
    login = urlsplit(response.headers["location"])
    assert login.path == "/login"
    back = parse_qs(login.query)["next"][0]
    assert back == url
    form = await browser.page(response.headers["location"])
    assert f'name="next" value="{html.escape(back)}"' in form
    logged_in = await browser.post(
        "/login", {"username": "alice", "password": PASSWORD, "next": back}
    )
    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == back
    consent = await browser.get(back)
    assert consent.status_code == 200
    assert "Authorize Test App" in visible_text(consent.text)


async def test_force_login_logs_out_first(client: httpx.AsyncClient, alice: Visitor) -> None:
    app = await make_app(client)
    url = authorize_url(app, force_login="true")
    response = await alice.get(url)
    assert response.status_code == 303
    back = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    assert "force_login" not in back
    assert await alice.logged_in_as() is None


async def test_deny(client: httpx.AsyncClient, alice: Visitor, settings: Settings) -> None:
    app = await make_app(client, redirect_uris=f"{CALLBACK} {OOB}")
    response = await decide(alice, app, "deny", redirect_uri=CALLBACK, state="st")
    assert response.status_code == 302
    given = parse_qs(urlsplit(response.headers["location"]).query)
    assert given["error"] == ["access_denied"]
    assert given["state"] == ["st"]
    assert "code" not in given
    shown = await decide(alice, app, "deny")
    assert shown.status_code == 200
    assert "You denied Test App access" in visible_text(shown.text)
    assert CODE_INPUT.search(shown.text) is None
    with database(settings) as conn:
        assert conn.execute("SELECT count(*) FROM oauth_codes").fetchone() == (0,)


async def test_bad_requests_are_error_pages_never_redirects(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    app = await make_app(client, redirect_uris=f"{CALLBACK} {OOB}")
    for url, words in [
        (authorize_url({"client_id": "nobody"}), "not registered here"),
        (authorize_url(app, redirect_uri="https://evil.example/cb"), "not supported"),
        (authorize_url(app, redirect_uri=CALLBACK + "/more"), "not supported"),
        (f"/oauth/authorize?response_type=code&redirect_uri={OOB}", "not registered"),
        # Two redirect URIs registered: the request must name one.
        (f"/oauth/authorize?response_type=code&client_id={app['client_id']}", "redirect_uri"),
    ]:
        response = await alice.get(url)
        assert response.status_code == 400, (url, response.text)
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        assert words in visible_text(response.text), (url, visible_text(response.text))
    # A NUL in the query is refused the same way, as a page.
    refused = await alice.get(authorize_url(app) + "&state=a%00")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")


async def test_the_consent_form_needs_its_csrf_token_and_a_decision(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    app = await make_app(client)
    page = await alice.get(authorize_url(app))
    fields = consent_fields(page.text)
    forged = await alice.http.post(
        "/oauth/authorize", data={**fields, "csrf_token": "forged", "decision": "authorize"}
    )
    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    undecided = await alice.http.post("/oauth/authorize", data=fields)
    assert undecided.status_code == 422


async def test_scopes_must_be_within_the_applications(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    app = await make_app(client, redirect_uris=f"{CALLBACK} {OOB}", scopes="read write:statuses")
    wider = await alice.get(
        authorize_url(app, redirect_uri=CALLBACK, scope="read write", state="q")
    )
    assert wider.status_code == 302
    given = parse_qs(urlsplit(wider.headers["location"]).query)
    assert given["error"] == ["invalid_scope"]
    assert given["state"] == ["q"]
    shown = await alice.get(authorize_url(app, scope="follow"))
    assert shown.status_code == 400
    assert "invalid_scope" in shown.text or "scope" in visible_text(shown.text)
    unknown = await alice.get(authorize_url(app, redirect_uri=CALLBACK, scope="read nonsense"))
    assert parse_qs(urlsplit(unknown.headers["location"]).query)["error"] == ["invalid_scope"]
    # Narrower is fine: read:statuses alone reads but does not post.
    code = await get_code(alice, app, scope="read:statuses")
    token = (await exchange(client, app, code)).json()
    assert token["scope"] == "read:statuses"
    bearer = auth(token["access_token"])
    assert (await client.get("/api/v1/timelines/home", headers=bearer)).status_code == 200
    posted = await client.post("/api/v1/statuses", data={"status": "no"}, headers=bearer)
    assert posted.status_code == 403
    # No scope asked: read, as Mastodon.
    default = await get_code(alice, app)
    assert (await exchange(client, app, default)).json()["scope"] == "read"


# PKCE and the code's rules -------------------------------------------------------------------


async def test_pkce(client: httpx.AsyncClient, alice: Visitor) -> None:
    app = await make_app(client)
    verifier, challenge = pkce()
    s256 = {"code_challenge": challenge, "code_challenge_method": "S256"}

    right = await get_code(alice, app, **s256)
    ok = await exchange(client, app, right, code_verifier=verifier)
    assert ok.status_code == 200, ok.text

    wrong = await get_code(alice, app, **s256)
    other, _ = pkce()
    assert "challenge failed" in assert_oauth_error(
        await exchange(client, app, wrong, code_verifier=other), 400, "invalid_grant"
    )
    missing = await get_code(alice, app, **s256)
    assert "code_verifier" in assert_oauth_error(
        await exchange(client, app, missing), 400, "invalid_request"
    )
    # A verifier for a code asked for without a challenge is refused too (RFC 9700).
    plain = await get_code(alice, app)
    assert_oauth_error(
        await exchange(client, app, plain, code_verifier=verifier), 400, "invalid_request"
    )
    # Only S256: "plain" (or no method) is refused on the authorization page.
    for method in ({"code_challenge_method": "plain"}, {}):
        refused = await alice.get(authorize_url(app, code_challenge=challenge, **method))
        assert refused.status_code == 400
        assert "S256" in visible_text(refused.text)


async def test_a_code_works_once(client: httpx.AsyncClient, alice: Visitor) -> None:
    app = await make_app(client)
    code = await get_code(alice, app)
    assert (await exchange(client, app, code)).status_code == 200
    assert_oauth_error(await exchange(client, app, code), 400, "invalid_grant")
    assert_oauth_error(await exchange(client, app, "made-up"), 400, "invalid_grant")


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, alice: Visitor, settings: Settings
) -> None:
    app = await make_app(client)
    code = await get_code(alice, app)
    with database(settings) as conn:
        (lifetime,) = conn.execute(
            "SELECT extract(epoch FROM expires_at - now()) FROM oauth_codes"
        ).fetchone() or (0,)
        assert 590 < float(lifetime) <= 600
        conn.execute("UPDATE oauth_codes SET expires_at = now() - interval '1 second'")
    assert_oauth_error(await exchange(client, app, code), 400, "invalid_grant")


async def test_a_code_is_its_applications_and_its_redirect_uris(
    client: httpx.AsyncClient, alice: Visitor
) -> None:
    app = await make_app(client, redirect_uris=f"{CALLBACK} {OOB}")
    other = await make_app(client)
    code = await get_code(alice, app)
    # Another application can't use it (nor use it up).
    assert_oauth_error(await exchange(client, other, code), 400, "invalid_grant")
    # Nor the right one with another redirect URI; that attempt uses it up.
    assert_oauth_error(
        await exchange(client, app, code, redirect_uri=CALLBACK), 400, "invalid_grant"
    )
    assert_oauth_error(await exchange(client, app, code), 400, "invalid_grant")
    fresh = await get_code(alice, app)
    assert (await exchange(client, app, fresh)).status_code == 200


async def test_client_authentication(client: httpx.AsyncClient, alice: Visitor) -> None:
    app = await make_app(client)
    code = await get_code(alice, app)
    wrong = {**app, "client_secret": "not-the-secret"}
    assert_oauth_error(await exchange(client, wrong, code), 401, "invalid_client")
    basic = await exchange(client, wrong, code, basic=True)
    assert_oauth_error(basic, 401, "invalid_client")
    assert basic.headers["www-authenticate"].startswith("Basic")
    unknown = {**app, "client_id": "nobody"}
    assert_oauth_error(await exchange(client, unknown, code), 400, "invalid_client")
    assert_oauth_error(await exchange(client, unknown, code, basic=True), 401, "invalid_client")
    no_secret = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": app["client_id"]},
    )
    assert_oauth_error(no_secret, 401, "invalid_client")
    # The failed attempts did not use the code up.
    assert (await exchange(client, app, code, basic=True)).status_code == 200
    unreadable = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()},
    )
    assert unreadable.status_code == 422


async def test_unsupported_and_malformed_token_requests(client: httpx.AsyncClient) -> None:
    assert_oauth_error(
        await client.post("/oauth/token", data={"grant_type": "refresh_token"}),
        400,
        "unsupported_grant_type",
    )
    assert_oauth_error(await client.post("/oauth/token", data={}), 400, "unsupported_grant_type")
    app = await make_app(client)
    missing = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert_oauth_error(missing, 400, "invalid_request")
    not_text = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials", "scope": 5}
    )
    assert not_text.status_code == 422
    nul = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "a\x00"}
    )
    assert nul.status_code == 422
    assert "client_id" in nul.json()["error"]


# client_credentials and password ------------------------------------------------------------------


async def test_client_credentials(client: httpx.AsyncClient, settings: Settings) -> None:
    app = await make_app(client, scopes="read write")
    whole = await client_token(client, app)
    assert whole.status_code == 200, whole.text
    assert whole.json()["scope"] == "read write"
    narrow = await client_token(client, app, "write:accounts")
    assert narrow.json()["scope"] == "write:accounts"
    assert_oauth_error(await client_token(client, app, "read follow"), 400, "invalid_scope")
    assert_oauth_error(await client_token(client, app, "read bogus"), 400, "invalid_scope")
    bearer = auth(whole.json()["access_token"])
    with database(settings) as conn:
        rows = conn.execute("SELECT user_id, app_id FROM api_tokens").fetchall()
    assert len(rows) == 2 and all(user is None and app_id for user, app_id in rows)
    me = await client.get("/api/v1/apps/verify_credentials", headers=bearer)
    assert me.status_code == 200
    assert me.json()["name"] == "Test App"
    assert me.json()["scopes"] == ["read", "write"]


async def test_an_app_token_is_refused_where_a_user_is_needed(client: httpx.AsyncClient) -> None:
    app = await make_app(client)
    bearer = auth((await client_token(client, app)).json()["access_token"])
    _, alice = await register(client, "alice")
    for method, url in [
        ("GET", "/api/v1/accounts/verify_credentials"),
        ("POST", "/api/v1/statuses"),
        ("GET", "/api/v1/timelines/home"),
        ("POST", f"/api/v1/accounts/{alice}/follow"),
        ("GET", "/api/v1/notifications"),
    ]:
        response = await client.request(method, url, headers=bearer, data={"status": "x"})
        assert response.status_code == 422, (url, response.text)
        assert response.json() == {"error": "This method requires an authenticated user"}
    # Public reads work as for anyone.
    assert (await client.get("/api/v1/timelines/public", headers=bearer)).status_code == 200


async def test_create_account_with_an_app_token(client: httpx.AsyncClient) -> None:
    app = await make_app(client, scopes="read write follow")
    bearer = auth((await client_token(client, app)).json()["access_token"])
    created = await client.post(
        "/api/v1/accounts", data={"username": "newbie", "password": PASSWORD}, headers=bearer
    )
    assert created.status_code == 200, created.text
    user_bearer = auth(created.json()["access_token"])
    assert created.json()["scope"] == "read write follow"
    mine = await client.get("/api/v1/apps/verify_credentials", headers=user_bearer)
    assert mine.json()["name"] == "Test App"


async def test_password_grant_with_and_without_an_application(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    # Without one, as before: every scope, no application.
    bare = await client.post(
        "/oauth/token", data={"grant_type": "password", "username": "alice", "password": PASSWORD}
    )
    assert bare.json()["scope"] == scopes.EVERYTHING
    none = await client.get(
        "/api/v1/apps/verify_credentials", headers=auth(bare.json()["access_token"])
    )
    assert none.status_code == 404
    app = await make_app(client, scopes="read write")
    grant = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    bound = await client.post("/oauth/token", data=grant | creds)
    assert bound.status_code == 200, bound.text
    assert bound.json()["scope"] == "read write"
    mine = await client.get(
        "/api/v1/apps/verify_credentials", headers=auth(bound.json()["access_token"])
    )
    assert mine.json()["name"] == "Test App"
    wider = await client.post("/oauth/token", data=grant | creds | {"scope": "read follow"})
    assert_oauth_error(wider, 400, "invalid_scope")
    wrong = await client.post("/oauth/token", data=grant | creds | {"client_secret": "nope"})
    assert_oauth_error(wrong, 401, "invalid_client")
    bad_password = await client.post("/oauth/token", data=grant | creds | {"password": "nope"})
    assert bad_password.status_code == 422
    assert bad_password.json() == {"error": "Wrong username or password"}


# Revocation ------------------------------------------------------------------------------------


async def test_an_application_revokes_its_own_tokens(client: httpx.AsyncClient) -> None:
    app = await make_app(client)
    other = await make_app(client)
    token = (await client_token(client, app)).json()["access_token"]
    others = (await client_token(client, other)).json()["access_token"]
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    # Another application's token: refused, and it keeps working.
    refused = await client.post("/oauth/revoke", data={"token": others} | creds)
    assert_oauth_error(refused, 400, "invalid_grant")
    assert (await client.get("/api/v1/apps/verify_credentials", headers=auth(others))).is_success
    wrong = await client.post("/oauth/revoke", data={"token": token, **creds, "client_secret": "x"})
    assert_oauth_error(wrong, 401, "invalid_client")
    done = await client.post("/oauth/revoke", data={"token": token} | creds)
    assert done.status_code == 200
    assert done.json() == {}
    gone = await client.get("/api/v1/apps/verify_credentials", headers=auth(token))
    assert gone.status_code == 401
    # An unknown token is fine (RFC 7009).
    unknown = await client.post("/oauth/revoke", data={"token": "never-issued"} | creds)
    assert unknown.status_code == 200
    # Without credentials, as before: the value is enough.
    assert (await client.post("/oauth/revoke", data={"token": others})).status_code == 200
    assert (
        await client.get("/api/v1/apps/verify_credentials", headers=auth(others))
    ).status_code == 401


# The server's metadata -----------------------------------------------------------------------


async def test_the_well_known_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    doc = response.json()
    origin = "https://testserver"
    assert doc["issuer"] == origin
    assert doc["authorization_endpoint"] == f"{origin}/oauth/authorize"
    assert doc["token_endpoint"] == f"{origin}/oauth/token"
    assert doc["revocation_endpoint"] == f"{origin}/oauth/revoke"
    assert doc["app_registration_endpoint"] == f"{origin}/api/v1/apps"
    assert set(doc["scopes_supported"]) == scopes.KNOWN
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "password",
    }
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }


# Plain http ----------------------------------------------------------------------------------


async def test_oauth_over_plain_http_is_refused(settings: Settings) -> None:
    insecure = create_app(settings.replace(public_url="http://example.org"))
    transport = httpx.ASGITransport(app=insecure)
    async with (
        insecure.router.lifespan_context(insecure),
        httpx.AsyncClient(transport=transport, base_url="http://example.org") as http,
    ):
        app = await make_app(http)
        refused = await client_token(http, app)
        assert_oauth_error(refused, 400, "insecure_transport")
        page = await http.get(authorize_url(app))
        assert page.status_code == 400
        assert "MICROBLOG_PUBLIC_URL" in visible_text(page.text)
        # The password grant is ours, and works as before.
        await register(http, "alice")
        grant = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        assert (await http.post("/oauth/token", data=grant)).status_code == 200


# The apps a user authorized ----------------------------------------------------------------------


async def test_authorized_apps_and_revoking_one(
    client: httpx.AsyncClient, alice: Visitor, new_visitor: NewVisitor
) -> None:
    app = await make_app(client, website="https://client.example")
    kept = await make_app(client, client_name="Kept App")
    first = (await exchange(client, app, await get_code(alice, app, scope="read"))).json()
    second = (
        await exchange(client, app, await get_code(alice, app, scope="write:statuses"))
    ).json()
    other = (await exchange(client, kept, await get_code(alice, kept))).json()
    # Bob's token of the same app stays when alice revokes hers.
    await register(client, "bob")
    bob = await new_visitor()
    await bob.log_in("bob")
    bobs = (await exchange(client, app, await get_code(bob, app))).json()

    page = await alice.page("/settings/apps")
    text = visible_text(page)
    assert "Test App" in text and "Kept App" in text
    assert "https://client.example" in text
    assert "Read everything in your account" in text
    assert "Post, reply, boost and delete posts" in text
    assert "2 logins" in text
    assert text.index("Kept App") < text.index("Test App")  # most recent first
    settings_page = await alice.page("/settings")
    assert 'href="/settings/apps"' in settings_page

    app_id = (
        await client.get("/api/v1/apps/verify_credentials", headers=auth(first["access_token"]))
    ).json()["id"]
    forged = await alice.post(f"/settings/apps/{app_id}/revoke", csrf="forged")
    assert forged.status_code == 403
    revoked = await alice.post(f"/settings/apps/{app_id}/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/settings/apps"
    for token in (first, second):
        me = await client.get(
            "/api/v1/accounts/verify_credentials", headers=auth(token["access_token"])
        )
        assert me.status_code == 401
    for token in (other, bobs):
        me = await client.get(
            "/api/v1/accounts/verify_credentials", headers=auth(token["access_token"])
        )
        assert me.status_code == 200
    after = visible_text(await alice.page("/settings/apps"))
    assert "Test App" not in after and "Kept App" in after
    assert (await alice.post("/settings/apps/x/revoke")).status_code == 422


async def test_the_apps_page_needs_a_log_in(new_visitor: NewVisitor) -> None:
    visitor = await new_visitor()
    response = await visitor.get("/settings/apps")
    assert response.status_code == 401
    assert "Log in" in visible_text(response.text)
    empty_handed = await visitor.post("/settings/apps/1/revoke")
    assert empty_handed.status_code == 401
