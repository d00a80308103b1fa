"""Request dependencies shared by the pages and the API: the service, who is asking, CSRF."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from microblog.domain.errors import Forbidden, NotFound, Unauthenticated
from microblog.domain.models import User
from microblog.service import Microblog

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


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


async def api_user_optional(request: Request, microblog: MicroblogDep) -> User | None:
    """The API caller, or None without a token; a bad token is an error, not anonymity."""
    token = bearer_token(request)
    if token is None:
        return None
    user = await microblog.user_for_token(token)
    if user is None:
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
    """The logged-in browser user, from the signed session cookie."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    try:
        return await microblog.user(user_id)
    except NotFound:  # the account is gone: forget the session
        request.session.clear()
        return None
    # Anything else (the database away for a moment) is an error page, not a log-out.


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
