"""Authlib's OAuth 2 authorization server, fitted to Starlette and to the service.

Authlib (``authlib.oauth2``) does the protocol: the authorization-code grant with PKCE
(RFC 7636, S256 only), the client-credentials grant, client authentication
(``client_secret_basic`` and ``client_secret_post``), token revocation (RFC 7009) and the
RFC 6749 error answers. It has no server integration for Starlette, so this module gives it
one: a request carrying the parameters the endpoint read (``Request``, ``Payload``), the
application as an Authlib client (``Client``), the grants' storage hooks, and answers as plain
values (``Answer``) that the endpoint turns into a response.

Authlib's hooks are synchronous and the service is async: each of Authlib's calls runs in a
worker thread (``in_thread``), and the hooks call the service back on the event loop with
``anyio.from_thread.run``. Tokens are issued by ``Microblog.issue_token``, which keeps only
their SHA-256.

Authlib refuses an http:// request URI that is not loopback (``InsecureTransportError``):
the URI it checks is the configured public origin (``MICROBLOG_PUBLIC_URL``) and the path,
never the Host header, so a server reached over HTTPS behind a proxy passes, and one that
says it is reached over plain HTTP elsewhere than loopback is refused its OAuth flows.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2 import AuthorizationServer  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    JsonPayload,
    JsonRequest,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]

from microblog.domain import scopes
from microblog.domain.errors import Invalid, NotFound
from microblog.domain.models import Access, User
from microblog.domain.oauth import AuthorizationCode, OAuthApp
from microblog.service import Microblog

log = logging.getLogger(__name__)
T = TypeVar("T")

# Authlib's errors (RFC 6749's error codes), for the endpoints to catch.
OAuthError = OAuth2Error
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ("authorization_code", "client_credentials", "password")
CODE_CHALLENGE_METHODS = ("S256",)


@dataclass(frozen=True, slots=True)
class Answer:
    """What Authlib answers: a status, a JSON body (or empty) and headers."""

    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        """Where a redirect sends the browser."""
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    def location_params(self) -> dict[str, str]:
        """The query parameters of the redirect (``code``, ``state``, ``error``…)."""
        return dict(parse_qsl(urlsplit(self.location or "").query))


class Payload(OAuth2Payload):  # type: ignore[misc]
    """The parameters of a request as the endpoint read them (query, form or JSON)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        # The first of repeated values; Authlib refuses repeats where they matter.
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth request: method, the public URI, headers and the parameters read."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        items: Sequence[tuple[str, str]],
        query: Mapping[str, str],
    ) -> None:
        # Authlib reads headers by their canonical names: keep Starlette's any-case mapping.
        super().__init__(method, uri, headers=headers)  # may raise InsecureTransportError
        self.payload = Payload(items)
        self._query = dict(query)

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class Client(ClientMixin):  # type: ignore[misc]
    """A registered application as Authlib sees a client (confidential: it has a secret)."""

    def __init__(self, app: OAuthApp) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an application with one redirect URI may leave it out of its request.
        return self.app.redirect_uris[0] if len(self.app.redirect_uris) == 1 else None

    def allowed_scope(self, asked: str | None, default: str) -> str | None:
        """The scopes asked for (``default`` when none), normalised, when the application
        registered them all; None otherwise."""
        try:
            parsed = scopes.parse(asked, default)
        except Invalid:
            return None
        return parsed if scopes.within(parsed, self.app.scopes) else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        # As Mastodon: an authorization asking for no scope asks for ``read``.
        return self.allowed_scope(scope, scopes.DEFAULT)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.app.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """An authorization code as Authlib sees it."""

    def __init__(self, grant: AuthorizationCode) -> None:
        self.grant = grant
        self.code_challenge = grant.code_challenge
        self.code_challenge_method = grant.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return self.grant.scope


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token presented for revocation: its value and what it grants."""

    value: str
    access: Access

    def check_client(self, client: Client) -> bool:
        return self.access.app_id == client.app.id


class S256(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only: a code asked for with a challenge is exchanged only with its
    verifier; one asked for without is exchanged without (Mastodon's clients send none)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = list(CODE_CHALLENGE_METHODS)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization-code grant; codes live in ``oauth_codes`` (hashed, ten minutes)."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    server: OAuthServer

    def save_authorization_code(self, code: str, request: Request) -> None:
        data = request.payload.data
        challenge = data.get("code_challenge") or None
        grant = AuthorizationCode(
            app_id=request.client.app.id,
            user_id=request.user.id,
            redirect_uri=data.get("redirect_uri") or "",
            scope=request.scope,
            code_challenge=challenge,
            code_challenge_method=data.get("code_challenge_method") if challenge else None,
        )
        self.server.call(self.server.microblog.issue_code, code, grant)

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        # Taken as it is read: used once, even by two exchanges racing each other.
        found = self.server.call(self.server.microblog.redeem_code, code, client.app.id)
        return None if found is None else Code(found)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing left to delete: the code went when it was read."""

    def authenticate_user(self, authorization_code: Code) -> User | None:
        try:
            user: User = self.server.call(
                self.server.microblog.user, authorization_code.grant.user_id
            )
            return user
        except NotFound:
            return None


class AppOnlyGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """The client-credentials grant: a token of the application's own, with no user, for
    the scopes asked for (the application's when none are) within those it registered."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: Client = self.request.client
        scope = client.allowed_scope(self.request.payload.scope, client.app.scopes)
        if scope is None:
            raise InvalidScopeError(description=OUTSIDE_REGISTERED)
        self.request.scope = scope

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009 revocation by an authenticated application, of its own tokens."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        access = self.server.call(self.server.microblog.token_access, token_string)
        return None if access is None else IssuedToken(token_string, access)

    def revoke_token(self, token: IssuedToken, request: Request) -> None:
        self.server.call(self.server.microblog.revoke_token, token.value)


OUTSIDE_REGISTERED = "The scopes asked for are not all among those the application registered"


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """The authorization server over the service. Its methods run in a worker thread
    (``in_thread``); its hooks call the service on the event loop."""

    def __init__(self, microblog: Microblog) -> None:
        super().__init__(scopes_supported=sorted(scopes.KNOWN))
        self.microblog = microblog
        self.register_token_generator("default", _bearer)
        self.register_grant(CodeGrant, [S256(required=False)])
        self.register_grant(AppOnlyGrant)
        self.register_endpoint(Revocation)

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run an async service verb from Authlib's worker thread, on the event loop."""
        return anyio.from_thread.run(function, *args)

    # Authlib's framework integration points ------------------------------------------

    def query_client(self, client_id: object) -> Client | None:
        if not isinstance(client_id, str) or not client_id:
            return None
        app = self.call(self.microblog.oauth_app, client_id)
        return None if app is None else Client(app)

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        """Issue the token through the service (only its hash is kept) and complete the
        answer Authlib returns with it: Mastodon's Token entity."""
        user = request.user
        client: Client = request.client
        issued = self.call(
            self.microblog.issue_token,
            None if user is None else user.id,
            token["scope"],
            client.app.id,
            client.app.scopes,
        )
        token.update(
            access_token=issued.access_token,
            scope=issued.scope,
            created_at=int(issued.created_at.timestamp()),
        )

    def create_oauth2_request(self, request: object) -> OAuth2Request:
        if not isinstance(request, OAuth2Request):
            raise TypeError("build the request with oauth_server.Request")
        return request

    def create_json_request(self, request: object) -> JsonRequest:
        if not isinstance(request, Request):
            raise TypeError("build the request with oauth_server.Request")
        json_request = JsonRequest(request.method, request.uri, request.headers)
        json_request.payload = _JsonPayload(dict(request.payload.data))
        return json_request

    def handle_response(
        self, status: int, body: dict[str, Any] | str, headers: Sequence[tuple[str, str]]
    ) -> Answer:
        return Answer(status, body if isinstance(body, dict) else {}, list(headers))

    def handle_error_response(self, request: OAuth2Request | None, error: OAuth2Error) -> Answer:
        return error_answer(error)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        log.debug("oauth: %s", name)

    def validate_requested_scope(self, scope: str | None) -> None:
        try:
            scopes.parse(scope)
        except Invalid as exc:
            raise InvalidScopeError(description="Unknown scope asked for") from exc

    # What the endpoints call, in a worker thread --------------------------------------

    def token(self, request: Request) -> Answer:
        """``POST /oauth/token`` for the grants Authlib runs."""
        return self.create_token_response(request)  # type: ignore[no-any-return]

    def consent(self, request: Request, user: User | None) -> CodeGrant:
        """Check an authorization request before asking the user (``OAuth2Error`` if bad)."""
        return self.get_consent_grant(request, user)  # type: ignore[no-any-return]

    def decide(self, request: Request, user: User, allowed: bool) -> tuple[CodeGrant, Answer]:
        """The user's answer to an authorization request: a redirect with a code (or with
        ``access_denied``); ``OAuth2Error`` when the request itself is bad."""
        grant = self.consent(request, user)
        answer = self.create_authorization_response(request, user if allowed else None, grant)
        return grant, answer

    def client_of(self, request: Request) -> Client:
        """The application authenticating itself in a token request (``InvalidClientError``
        when it does not)."""
        return self.authenticate_client(request, CLIENT_AUTH_METHODS)  # type: ignore[no-any-return]

    def revoke(self, request: Request) -> Answer:
        """``POST /oauth/revoke`` by an authenticated application."""
        return self.create_endpoint_response("revocation", request)  # type: ignore[no-any-return]


def error_answer(error: OAuth2Error) -> Answer:
    """An OAuth error as RFC 6749 answers it: JSON (``error``, ``error_description``), or
    a redirect to the application when the error carries its redirect URI."""
    if not error.description:
        error.description = error.get_error_description()
    status, body, headers = error()
    return Answer(status, body if isinstance(body, dict) else {}, list(headers))


def _bearer(
    grant_type: str,
    client: Client,
    user: User | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """The token's answer before ``save_token`` issues it (no expiry, no refresh token:
    Mastodon's tokens last until revoked)."""
    return {"token_type": "Bearer", "scope": scope or ""}


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run one of the server's methods in a worker thread (its hooks call back here)."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args))
