"""OAuth 2 as Mastodon clients use it: the token and revocation endpoints (JSON, ``router``),
and the authorization page, the server's metadata and the list of authorized apps
(``pages``). The protocol is Authlib's (``oauth_server``); this module reads the requests
and renders the answers.

Flows: the authorization code (``GET /oauth/authorize``: log in if needed, a consent page,
then a redirect with the code, or for ``urn:ietf:wg:oauth:2.0:oob`` a page showing it; PKCE
S256 when the client sends a challenge), ``client_credentials`` (a token of the application's
own) and ``password`` (ours, as before: rate-limited, an application optional). Errors of the
token endpoint are RFC 6749's (``{"error": "invalid_grant", "error_description": …}``, 400
or 401); those of the password grant remain ours (``{"error": …}``, 422).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from microblog.domain import rules, scopes
from microblog.domain.errors import Invalid, MicroblogError, Unauthenticated
from microblog.domain.models import User
from microblog.domain.oauth import OOB, OAuthApp, in_words
from microblog.service import Microblog
from microblog.web import mastodon, params
from microblog.web.deps import MicroblogDep, PageUser, check_csrf, end_session
from microblog.web.headers import CONTENT_SECURITY_POLICY
from microblog.web.oauth_server import (
    CLIENT_AUTH_METHODS,
    CODE_CHALLENGE_METHODS,
    GRANT_TYPES,
    OUTSIDE_REGISTERED,
    Answer,
    Client,
    OAuthError,
    OAuthServer,
    error_answer,
    in_thread,
)
from microblog.web.oauth_server import Request as OAuthRequest
from microblog.web.openapi import REVOKE_REQUEST, TOKEN_REQUEST, Empty, Token, operation
from microblog.web.ratelimit import limiter
from microblog.web.render import render, render_error

router = APIRouter(
    prefix="/oauth", tags=["oauth"], dependencies=[Depends(params.storable_parameters)]
)
# The HTML pages of OAuth and the server's metadata: no part of the JSON API's document.
pages = APIRouter(include_in_schema=False)

# The parameters of a token or revocation request handed to Authlib (text only).
TOKEN_FIELDS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "scope",
    "token",
    "token_type_hint",
)
# Those of an authorization request, carried from the consent page to its answer.
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _origin(request: Request) -> str:
    return request.app.state.runtime.settings.origin  # type: ignore[no-any-return]


def _oauth_request(
    request: Request, items: Sequence[tuple[str, str]], query: Mapping[str, str] | None = None
) -> OAuthRequest:
    """The request as Authlib reads it. Its URI is the public origin's, never the Host
    header's (Authlib refuses plain http but on loopback: ``InsecureTransportError``)."""
    uri = _origin(request) + request.url.path
    query = dict(request.query_params) if query is None else query
    return OAuthRequest(request.method, uri, request.headers, items, query)


def _text_fields(values: Mapping[str, Any], names: Sequence[str]) -> list[tuple[str, str]]:
    """The named parameters that were sent, each text that can be stored (else 422)."""
    items = []
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise Invalid(f"{name} must be text", name)
        items.append((name, rules.storable(value, name)))
    return items


def _client_sent(request: Request, values: Mapping[str, Any]) -> bool:
    """Whether the request names an application (``client_id``, or HTTP Basic)."""
    scheme, _, _ = request.headers.get("authorization", "").partition(" ")
    return values.get("client_id") is not None or scheme.lower() == "basic"


def _json(answer: Answer) -> JSONResponse:
    headers = {k: v for k, v in answer.headers if k.lower() != "content-type"}
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _run(
    request: Request,
    microblog: Microblog,
    items: Sequence[tuple[str, str]],
    step: Callable[[OAuthServer, OAuthRequest], Any],
) -> Any:
    """One of the server's steps on this request, in a worker thread; an OAuth error
    before it starts (plain http) is answered as any other."""
    try:
        oauth_request = _oauth_request(request, items)
    except OAuthError as exc:
        return error_answer(exc)
    return await in_thread(step, OAuthServer(microblog), oauth_request)


def _basic_readable(request: Request) -> None:
    """Refuse an HTTP Basic header that is no base64 UTF-8 (Authlib would fail on it)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid("The Authorization header is not readable HTTP Basic", "client_id") from exc


# The token and revocation endpoints --------------------------------------------------------


@router.post(
    "/token",
    summary="Exchange a code, an application's credentials or a password for a token",
    **operation(Token, 400, 401, 503, request_body=TOKEN_REQUEST),
)
async def token(request: Request, microblog: MicroblogDep) -> Any:
    values = await params.body(request)
    _basic_readable(request)
    if values.get("grant_type") == "password":
        return await _password_grant(request, microblog, values)
    items = _text_fields(values, TOKEN_FIELDS)
    return _json(await _run(request, microblog, items, OAuthServer.token))


async def _password_grant(request: Request, microblog: Microblog, values: dict[str, Any]) -> Any:
    """The password grant, as before applications were kept: rate-limited per address and
    username, errors ours (422). With an application's credentials (optional), the token
    is that application's, within its scopes (the application's when none are asked for)."""
    username = values.get("username")
    if isinstance(username, str):  # refused before the rate limit counts it under its name
        rules.storable(username, "username", "Username")
    app: OAuthApp | None = None
    if _client_sent(request, values):
        items = _text_fields(values, TOKEN_FIELDS)
        found = await _run(request, microblog, items, _authenticated_client)
        if isinstance(found, Answer):
            return _json(found)
        app = found.app
    await limiter(request).login(request, username)
    user = await microblog.authenticate(username, values.get("password"))
    if app is None:
        return mastodon.token(await microblog.issue_token(user.id, values.get("scope")))
    scope = scopes.parse(values.get("scope"), app.scopes)
    if not scopes.within(scope, app.scopes):
        answer = Answer(
            400, {"error": "invalid_scope", "error_description": OUTSIDE_REGISTERED}, []
        )
        return _json(answer)
    return mastodon.token(await microblog.issue_token(user.id, scope, app.id, app.scopes))


def _authenticated_client(server: OAuthServer, request: OAuthRequest) -> Client | Answer:
    try:
        return server.client_of(request)
    except OAuthError as exc:
        return error_answer(exc)


@router.post(
    "/revoke", summary="Revoke a token", **operation(Empty, 400, 401, request_body=REVOKE_REQUEST)
)
async def revoke(request: Request, microblog: MicroblogDep) -> Any:
    values = await params.body(request)
    value = values.get("token")
    if not isinstance(value, str) or not value:
        raise Invalid("token is required", "token")
    rules.storable(value, "token")
    _basic_readable(request)
    if _client_sent(request, values):
        # An application's request (RFC 7009): only its own tokens.
        items = _text_fields(values, TOKEN_FIELDS)
        return _json(await _run(request, microblog, items, OAuthServer.revoke))
    # Without one, as before: knowing a token's value is enough to end it.
    await microblog.revoke_token(value)
    return {}


# Applications as Mastodon's API shows them ----------------------------------------------------


def application(app: OAuthApp, client_secret: str | None = None) -> dict[str, Any]:
    """Mastodon's Application entity; its credentials only when it has just registered."""
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
        "vapid_key": "",
    }
    if client_secret is not None:
        entity["client_id"] = app.client_id
        entity["client_secret"] = client_secret
    return entity


# The server's metadata (RFC 8414) ------------------------------------------------------------


@pages.get(
    "/.well-known/oauth-authorization-server", dependencies=[Depends(params.storable_parameters)]
)
async def metadata(request: Request) -> JSONResponse:
    """Where the endpoints are and what they support (Mastodon.py reads it first)."""
    origin = _origin(request)
    return JSONResponse(
        {
            "issuer": origin,
            "authorization_endpoint": f"{origin}/oauth/authorize",
            "token_endpoint": f"{origin}/oauth/token",
            "revocation_endpoint": f"{origin}/oauth/revoke",
            "app_registration_endpoint": f"{origin}/api/v1/apps",
            "scopes_supported": sorted(scopes.KNOWN),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": list(CODE_CHALLENGE_METHODS),
            "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "service_documentation": f"{origin}/openapi.json",
        }
    )


# The authorization page ---------------------------------------------------------------------

INSECURE = (
    "Applications can't log in here over plain HTTP: this server's public URL "
    "(MICROBLOG_PUBLIC_URL) must be https (or a loopback address)"
)


def _error_page(request: Request, exc: MicroblogError) -> HTMLResponse:
    response = render_error(request, exc.status, str(exc))
    response.headers.update(exc.headers)
    return response


def _authorize_error(request: Request, exc: OAuthError) -> Response:
    """A bad authorization request: back to the application with the error when its
    redirect URI is known to be its own (RFC 6749 4.1.2.1), else an error page (never a
    redirect to a URI the application did not register)."""
    if exc.redirect_uri and exc.redirect_uri != OOB:
        answer = error_answer(exc)
        if answer.location:
            return RedirectResponse(answer.location, status_code=302)
    if exc.error == "insecure_transport":
        message = INSECURE
    elif exc.error == "invalid_client":
        message = "This application is not registered here (unknown client_id)"
    else:
        description = exc.description or exc.get_error_description() or exc.error
        message = f"The application's request can't be authorized: {description}"
    return render_error(request, 400, message)


def _consent_policy(redirect_uri: str) -> str:
    """The page's Content-Security-Policy: ours, with the form allowed to lead to the
    application's redirect URI (browsers check a form's redirects against form-action)."""
    parts = urlsplit(redirect_uri)
    if redirect_uri == OOB:
        return CONTENT_SECURITY_POLICY
    if parts.scheme in ("http", "https") and parts.netloc:
        source = f"{parts.scheme}://{parts.netloc}"
        if not all(c.isalnum() or c in ".-:[]" for c in parts.netloc):
            source = f"{parts.scheme}:"
    else:
        source = f"{parts.scheme}:"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {source}")


def _login_redirect(request: Request) -> RedirectResponse:
    """To the log-in page, and back here after (without ``force_login``)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "force_login"]
    back = f"/oauth/authorize?{urlencode(query)}"
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


@pages.get("/oauth/authorize", response_class=HTMLResponse)
@pages.get("/oauth/authorize/", response_class=HTMLResponse)
async def authorize_form(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """Ask the logged-in user whether the application may use their account (log in
    first); a bad request is an error page."""
    try:
        await params.storable_parameters(request)
        force_login = params.flag(request, "force_login")
        items = request.query_params.multi_items()
        grant = await _run(request, microblog, items, _consent)
        if isinstance(grant, Answer):  # plain http
            return render_error(request, 400, INSECURE)
        if me is None or force_login:
            if me is not None:
                await end_session(request, microblog)
            return _login_redirect(request)
        unread = await microblog.unread_notifications(me.id)
    except OAuthError as exc:
        return _authorize_error(request, exc)
    except MicroblogError as exc:
        return _error_page(request, exc)
    data = grant.request.payload.data
    context = {
        "me": me,
        "unread": unread,
        "app": grant.client.app,
        "scopes": in_words(grant.request.scope),
        "fields": [(name, data[name]) for name in AUTHORIZE_FIELDS if data.get(name)],
        "oob": grant.redirect_uri == OOB,
        "redirect_uri": grant.redirect_uri,
    }
    response = render(request, "oauth_authorize.html", context)
    response.headers["content-security-policy"] = _consent_policy(grant.redirect_uri)
    response.headers["cache-control"] = "no-store"
    return response


def _consent(server: OAuthServer, request: OAuthRequest) -> Any:
    return server.consent(request, None)


@pages.post("/oauth/authorize", response_class=HTMLResponse)
@pages.post("/oauth/authorize/", response_class=HTMLResponse)
async def authorize(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The user's answer: Authorize sends the browser back to the application with a code
    (or shows the code, out of band); Deny sends it back with ``access_denied``."""
    try:
        await check_csrf(request)
        if me is None:
            raise Unauthenticated("Log in to authorize an application")
        form = await request.form()
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        items = _text_fields(values, AUTHORIZE_FIELDS)
        decision = values.get("decision")
        if decision not in ("authorize", "deny"):
            raise Invalid("Choose Authorize or Deny", "decision")
        user: User = me
        server = OAuthServer(microblog)
        oauth_request = _oauth_request(request, items, query={})
        grant, answer = await in_thread(server.decide, oauth_request, user, decision == "authorize")
    except OAuthError as exc:
        return _authorize_error(request, exc)
    except MicroblogError as exc:
        return _error_page(request, exc)
    if answer.location is None:
        description = answer.body.get("error_description") or answer.body.get("error", "")
        return render_error(
            request, 400, f"The application's request can't be authorized: {description}"
        )
    if grant.redirect_uri != OOB:
        return RedirectResponse(answer.location, status_code=302)
    given = answer.location_params()
    context = {
        "me": me,
        "unread": await microblog.unread_notifications(user.id),
        "app": grant.client.app,
        "code": given.get("code"),
        "denied": "code" not in given,
    }
    response = render(request, "oauth_code.html", context)
    response.headers["cache-control"] = "no-store"
    return response


# The apps a user authorized ------------------------------------------------------------------


def _need(me: User | None) -> User:
    if me is None:
        raise Unauthenticated("Log in to see the applications you authorized")
    return me


@pages.get(
    "/settings/apps",
    response_class=HTMLResponse,
    dependencies=[Depends(params.storable_parameters)],
)
async def authorized_apps(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The applications holding tokens of the user, with what they may do."""
    user = _need(me)
    found = await microblog.authorized_apps(user.id)
    context = {
        "me": user,
        "unread": await microblog.unread_notifications(user.id),
        "apps": [(app, in_words(app.scopes)) for app in found],
    }
    return render(request, "apps.html", context)


@pages.post(
    "/settings/apps/{app_id}/revoke",
    dependencies=[Depends(params.storable_parameters), Depends(check_csrf)],
)
async def revoke_app(app_id: str, microblog: MicroblogDep, me: PageUser) -> Response:
    """Take an application's access away: its tokens of this user go."""
    user = _need(me)
    await microblog.revoke_app(user.id, rules.object_id(app_id, "app_id"))
    return RedirectResponse("/settings/apps", status_code=303)
