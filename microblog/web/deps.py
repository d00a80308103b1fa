"""Request dependencies shared by the pages and the API: the service, who is asking, CSRF."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request

from microblog.domain import scopes
from microblog.domain.context import ACTOR
from microblog.domain.errors import Forbidden, Invalid, Unauthenticated
from microblog.domain.models import Access, User
from microblog.service import Microblog

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_KEY = "sid"


async def get_microblog(request: Request) -> Microblog:
    """The service the app runs."""
    return request.app.state.runtime.microblog  # type: ignore[no-any-return]


MicroblogDep = Annotated[Microblog, Depends(get_microblog)]


def identified(request: Request, user_id: int) -> None:
    """Record the request's caller: its reads wait for the caller's own writes on replicas,
    and a write marks the caller (``read_your_writes``)."""
    request.state.actor_id = user_id
    ACTOR.set(user_id)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def token_access(request: Request, microblog: MicroblogDep) -> Access | None:
    """What the bearer token grants, or None (no token, or a bad one). Looked up once per
    request: the rate limits and the endpoint share the answer."""
    token = bearer_token(request)
    access = None if token is None else await microblog.token_access(token)
    if access is not None and access.user is not None:
        identified(request, access.user.id)
    return access


TokenAccess = Annotated[Access | None, Depends(token_access)]


async def token_user(access: TokenAccess) -> User | None:
    """The user of the bearer token, or None (no token, a bad one, an app-only one)."""
    return None if access is None else access.user


TokenUser = Annotated[User | None, Depends(token_user)]


async def api_access(request: Request, access: TokenAccess) -> Access | None:
    """The API caller's grant, or None without a token; a bad token is an error, not
    anonymity."""
    if access is None and bearer_token(request) is not None:
        raise Unauthenticated("The access token is invalid")
    return access


ApiAccess = Annotated[Access | None, Depends(api_access)]


def _check_scope(access: Access, needed: str) -> None:
    if not scopes.allows(access.scope, needed):
        raise Forbidden(f"This action is outside the authorized scopes (it needs {needed})")


def scoped(needed: str) -> Any:
    """A dependency for an endpoint that acts as a user: the token's user, when the token
    holds ``needed`` (Mastodon's scope names); 401 without a valid token, 422 for an
    app-only token, 403 when the scope is missing."""

    async def caller(access: ApiAccess) -> User:
        if access is None:
            raise Unauthenticated("The access token is invalid")
        if access.user is None:
            raise Invalid("This method requires an authenticated user")
        _check_scope(access, needed)
        return access.user

    caller.__name__ = f"scoped_{needed.replace(':', '_')}"
    return Depends(caller)


def maybe_scoped(needed: str) -> Any:
    """As ``scoped`` for an endpoint anyone may call: None without a token or with an
    app-only one (the public view), but a token lacking ``needed`` is refused (403)."""

    async def caller(access: ApiAccess) -> User | None:
        if access is None:
            return None
        _check_scope(access, needed)
        return access.user

    caller.__name__ = f"maybe_scoped_{needed.replace(':', '_')}"
    return Depends(caller)


def app_scoped(needed: str) -> Any:
    """A dependency for an endpoint an application calls on its own behalf (registering
    an account): the grant of a token, app-only or not, that holds ``needed``."""

    async def caller(access: ApiAccess) -> Access:
        if access is None:
            raise Unauthenticated("The access token is invalid")
        _check_scope(access, needed)
        return access

    caller.__name__ = f"app_scoped_{needed.replace(':', '_')}"
    return Depends(caller)


async def page_user_optional(request: Request, microblog: MicroblogDep) -> User | None:
    """The logged-in browser user: the session id in the signed cookie names a live session
    row. Once that row is gone (logged out, expired, password changed, account deleted) the
    cookie, and any copy of it, logs nobody in."""
    session_id = request.session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return None
    user = await microblog.session_user(session_id)
    if user is None:
        request.session.pop(SESSION_KEY, None)
    else:
        identified(request, user.id)
    # Kept for error pages, which are rendered outside the endpoint (``render_error``).
    request.state.page_user = user
    return user
    # Anything else (the database away for a moment) is an error page, not a log-out.


async def begin_session(request: Request, microblog: Microblog, user_id: int) -> None:
    """Log this browser in as the user: a new session (and CSRF token) in a fresh cookie."""
    lifetime = request.app.state.runtime.settings.session_days * 24 * 3600
    session_id = await microblog.start_session(user_id, lifetime)
    request.session.clear()
    request.session[SESSION_KEY] = session_id


async def end_session(request: Request, microblog: Microblog) -> None:
    """Log this browser out, on the server too."""
    session_id = request.session.get(SESSION_KEY)
    if isinstance(session_id, str):
        await microblog.end_session(session_id)
    request.session.clear()


PageUser = Annotated[User | None, Depends(page_user_optional)]


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Reject a form post whose CSRF token (field or htmx header) does not match the session."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("The form expired or came from another site; reload the page and retry")
