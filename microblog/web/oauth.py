"""OAuth endpoints a Mastodon client uses to log in with a password and to log out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from microblog.domain.errors import Invalid
from microblog.web import mastodon, params
from microblog.web.deps import MicroblogDep

router = APIRouter(prefix="/oauth", tags=["oauth"])


@router.post("/token", summary="Exchange a username and password for a token")
async def token(request: Request, microblog: MicroblogDep) -> dict[str, Any]:
    values = await params.body(request)
    grant = values.get("grant_type")
    if grant != "password":
        raise Invalid("grant_type must be 'password'", "grant_type")
    user = await microblog.authenticate(values.get("username"), values.get("password"))
    return mastodon.token(await microblog.issue_token(user.id, values.get("scope")))


@router.post("/revoke", summary="Revoke a token")
async def revoke(request: Request, microblog: MicroblogDep) -> dict[str, Any]:
    values = await params.body(request)
    value = values.get("token")
    if not isinstance(value, str) or not value:
        raise Invalid("token is required", "token")
    await microblog.revoke_token(value)
    return {}
