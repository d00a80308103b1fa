"""OAuth endpoints a Mastodon client uses to log in with a password and to log out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from microblog.domain import rules
from microblog.domain.errors import Invalid
from microblog.web import mastodon, params
from microblog.web.deps import MicroblogDep
from microblog.web.openapi import REVOKE, TOKEN, Empty, Token, operation
from microblog.web.ratelimit import limiter

router = APIRouter(
    prefix="/oauth", tags=["oauth"], dependencies=[Depends(params.storable_parameters)]
)


@router.post(
    "/token",
    summary="Exchange a username and password for a token",
    **operation(Token, 503, request_body=TOKEN),
)
async def token(request: Request, microblog: MicroblogDep) -> dict[str, Any]:
    values = await params.body(request)
    grant = values.get("grant_type")
    if grant != "password":
        raise Invalid("grant_type must be 'password'", "grant_type")
    username = values.get("username")
    if isinstance(username, str):  # refused before the rate limit counts it under its name
        rules.storable(username, "username", "Username")
    await limiter(request).login(request, username)
    user = await microblog.authenticate(username, values.get("password"))
    return mastodon.token(await microblog.issue_token(user.id, values.get("scope")))


@router.post("/revoke", summary="Revoke a token", **operation(Empty, request_body=REVOKE))
async def revoke(request: Request, microblog: MicroblogDep) -> dict[str, Any]:
    values = await params.body(request)
    value = values.get("token")
    if not isinstance(value, str) or not value:
        raise Invalid("token is required", "token")
    await microblog.revoke_token(value)
    return {}
