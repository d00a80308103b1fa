"""Request dependencies shared by the pages and the API: the service, who is asking, CSRF."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from microblog.domain.errors import Forbidden, Unauthenticated
from microblog.domain.models import User
from microblog.service import Microblog

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_KEY = "sid"


async def get_microblog(request: Request) -> Microblog:
    """The service the app runs."""
    return request.app.state.runtime.microblog  # type: ignore[no-any-return]


MicroblogDep = Annotated[Microblog, Depends(get_microblog)]


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def token_user(request: Request, microblog: MicroblogDep) -> User | None:
    """The user of the bearer token, or None (no token, or a bad one). Looked up once per
    request: the rate limits and the endpoint share the answer."""
    token = bearer_token(request)
    return None if token is None else await microblog.user_for_token(token)


TokenUser = Annotated[User | None, Depends(token_user)]


async def api_user_optional(request: Request, user: TokenUser) -> User | None:
    """The API caller, or None without a token; a bad token is an error, not anonymity."""
    if user is None and bearer_token(request) is not None:
        raise Unauthenticated("The access token is invalid")
    return user


async def api_user(
    user: Annotated[User | None, Depends(api_user_optional)],
) -> User:
    """The API caller; 401 without a valid token."""
    if user is None:
        raise Unauthenticated("The access token is invalid")
    return user


ApiUser = Annotated[User, Depends(api_user)]
MaybeApiUser = Annotated[User | None, Depends(api_user_optional)]


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
