"""Browser sessions; only the SHA-256 of a session id is stored, as for API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from microblog.domain.models import User
from microblog.store.db import Conn, execute, one
from microblog.store.queries import load
from microblog.store.users import to_user

SQL = load("sessions")


def digest(session_id: str) -> bytes:
    """What is stored of a session id: its SHA-256."""
    return hashlib.sha256(session_id.encode()).digest()


async def create(conn: Conn, session_id: str, user_id: int, lifetime_seconds: int) -> None:
    """Store a new session that ends after ``lifetime_seconds``."""
    params = {"id_hash": digest(session_id), "user_id": user_id, "lifetime": lifetime_seconds}
    await execute(conn, SQL["create_session"], params)


async def user_for(conn: Conn, session_id: str) -> tuple[User, datetime] | None:
    """The user of a live session and when the session ends; None for an unknown, ended
    or expired one."""
    row = await one(conn, SQL["session_user"], {"id_hash": digest(session_id)})
    return None if row is None else (to_user(row), row["expires_at"])


async def end(conn: Conn, session_id: str) -> None:
    """End one session (log out)."""
    await execute(conn, SQL["end_session"], {"id_hash": digest(session_id)})


async def end_all(conn: Conn, user_id: int) -> int:
    """End every session of a user; how many there were."""
    return await execute(conn, SQL["end_user_sessions"], {"user_id": user_id})


async def end_expired(conn: Conn) -> int:
    """Delete the rows of sessions past their end; how many."""
    return await execute(conn, SQL["end_expired_sessions"], {})


async def count(conn: Conn, user_id: int) -> int:
    """Live sessions of a user."""
    row = await one(conn, SQL["count_user_sessions"], {"user_id": user_id})
    assert row is not None
    return int(row["n"])
