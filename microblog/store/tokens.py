"""API access tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime

from microblog.domain.models import Access
from microblog.store.db import Conn, execute, one
from microblog.store.queries import load
from microblog.store.users import to_user

SQL = load("tokens")


def digest(token: str) -> bytes:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).digest()


async def create(
    conn: Conn, token: str, user_id: int | None, scope: str, app_id: int | None = None
) -> datetime:
    """Store a new token (no user: an app-only token); its creation time."""
    params = {"token_hash": digest(token), "user_id": user_id, "scope": scope, "app_id": app_id}
    row = await one(conn, SQL["create_token"], params)
    assert row is not None
    return row["created_at"]  # type: ignore[no-any-return]


async def access(conn: Conn, token: str) -> Access | None:
    """What a token grants, or None for an unknown or revoked token."""
    row = await one(conn, SQL["token_access"], {"token_hash": digest(token)})
    if row is None:
        return None
    user = None if row["id"] is None else to_user(row)
    return Access(user, row["scope"], row["app_id"])


async def revoke(conn: Conn, token: str) -> bool:
    """Revoke a token; False when it was unknown."""
    return await one(conn, SQL["revoke_token"], {"token_hash": digest(token)}) is not None


async def revoke_all(conn: Conn, user_id: int) -> int:
    """Revoke every token of a user; how many there were."""
    return await execute(conn, SQL["revoke_user_tokens"], {"user_id": user_id})
