"""OAuth endpoints a Mastodon client uses to log in with a password and to log out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from microblog.domain.errors import Invalid
from microblog.web import mastodon, params
from microblog.web.deps import Blog

router = APIRouter(prefix="/oauth", tags=["oauth"])


@router.post("/token", summary="Exchange a username and password for a token")
async def token(request: Request, service: Blog) -> dict[str, Any]:
    values = await params.body(request)
    grant = values.get("grant_type")
    if grant != "password":
        raise Invalid("grant_type must be 'password'", "grant_type")
    user = await service.authenticate(values.get("username"), values.get("password"))
    return mastodon.token(await service.issue_token(user.id, values.get("scope")))


@router.post("/revoke", summary="Revoke a token")
async def revoke(request: Request, service: Blog) -> dict[str, Any]:
    values = await params.body(request)
    value = values.get("token")
    if not isinstance(value, str) or not value:
        raise Invalid("token is required", "token")
    await service.revoke_token(value)
    return {}
