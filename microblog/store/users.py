"""Users: accounts, profiles, follower lists."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.rows import DictRow

from microblog.domain.models import SiteUsage, User
from microblog.domain.rules import MAX_ID
from microblog.store.db import Conn, all_rows, execute, ids, one
from microblog.store.queries import load

SQL = load("users")


def to_user(row: DictRow) -> User:
    """A ``User`` from a row with the users columns."""
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        description=row["description"],
        posts_count=row["posts_count"],
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        created_at=row["created_at"],
    )


async def create(conn: Conn, username: str, password_digest: str) -> User | None:
    """A new user, or None when the username is taken (case-insensitively)."""
    row = await one(
        conn, SQL["create_user"], {"username": username, "password_digest": password_digest}
    )
    return None if row is None else to_user(row)


async def by_id(conn: Conn, user_id: int) -> User | None:
    """The user with this id."""
    row = await one(conn, SQL["user_by_id"], {"id": user_id})
    return None if row is None else to_user(row)


async def by_username(conn: Conn, username: str) -> User | None:
    """The user with this username, ignoring case."""
    row = await one(conn, SQL["user_by_username"], {"username": username})
    return None if row is None else to_user(row)


async def credentials(conn: Conn, username: str) -> tuple[int, str] | None:
    """(id, password digest) of a username."""
    row = await one(conn, SQL["credentials_by_username"], {"username": username})
    return None if row is None else (row["id"], row["password_digest"])


async def set_password_digest(conn: Conn, user_id: int, digest: str) -> None:
    """Store a re-hashed password (after the hash parameters changed)."""
    await execute(conn, SQL["set_password_digest"], {"id": user_id, "password_digest": digest})


async def update_description(conn: Conn, user_id: int, description: str) -> User | None:
    """Set the profile description."""
    row = await one(conn, SQL["update_description"], {"id": user_id, "description": description})
    return None if row is None else to_user(row)


async def update_profile(
    conn: Conn, user_id: int, description: str | None, display_name: str | None
) -> User | None:
    """Set the profile's description and display name (None: leave it as it is)."""
    params = {"id": user_id, "description": description, "display_name": display_name}
    row = await one(conn, SQL["update_profile"], params)
    return None if row is None else to_user(row)


async def site_usage(conn: Conn) -> SiteUsage:
    """How many accounts, active accounts and posts the server has."""
    row = await one(conn, SQL["site_usage"], {})
    assert row is not None
    return SiteUsage(row["users"], row["active_month"], row["active_halfyear"], row["posts"])


async def touch_active(conn: Conn, user_id: int) -> None:
    """Record that the user read their feed (feeds for active readers are kept warm)."""
    await execute(conn, SQL["touch_active"], {"id": user_id})


async def followers(conn: Conn, user_id: int, max_id: int, limit: int) -> list[User]:
    """Users following ``user_id``, by descending id below ``max_id``."""
    rows = await all_rows(
        conn, SQL["followers_page"], {"user_id": user_id, "max_id": max_id, "limit": limit}
    )
    return [to_user(r) for r in rows]


async def following(conn: Conn, user_id: int, max_id: int, limit: int) -> list[User]:
    """Users that ``user_id`` follows, by descending id below ``max_id``."""
    rows = await all_rows(
        conn, SQL["following_page"], {"user_id": user_id, "max_id": max_id, "limit": limit}
    )
    return [to_user(r) for r in rows]


async def following_count(conn: Conn, user_id: int) -> int:
    """How many users ``user_id`` follows (a maintained counter)."""
    row = await one(conn, SQL["following_count"], {"id": user_id})
    return 0 if row is None else int(row["following_count"])


async def table_estimates(conn: Conn) -> tuple[int, int]:
    """(users, posts) row estimates from the planner's statistics."""
    row = await one(conn, SQL["table_estimates"], {})
    assert row is not None
    return int(row["users"]), int(row["posts"])


async def ids_after(conn: Conn, after: int, batch: int) -> list[int]:
    """A batch of user ids greater than ``after``, in order (to walk every user)."""
    return await ids(conn, SQL["ids_after"], {"after": after, "batch": batch})


async def lock_for_deletion(conn: Conn, user_id: int) -> bool:
    """Lock the rows an account's deletion changes, in id order: its followers' and the
    followed accounts' ``FOR NO KEY UPDATE``, its own ``FOR UPDATE``. False when it does not
    exist. A follow that committed before the account's row was locked is locked after it
    (out of order, once; a deadlock that may cause is retried like any other)."""
    related = await ids(conn, SQL["related_ids"], {"id": user_id})
    await execute(conn, SQL["lock_related"], {"ids": related, "above": 0, "below": user_id})
    if await one(conn, SQL["lock_deleted"], {"id": user_id}) is None:
        return False
    params = {"ids": related, "above": user_id, "below": MAX_ID}
    await execute(conn, SQL["lock_related"], params)
    # No follow of the account can begin now (it would lock the account's row first).
    late = sorted(set(await ids(conn, SQL["related_ids"], {"id": user_id})) - set(related))
    if late:
        await execute(conn, SQL["lock_related"], {"ids": late, "above": 0, "below": MAX_ID})
    return True


async def delete(conn: Conn, user_id: int) -> bool:
    """Delete an account and, by cascade, its posts, follows, tokens and sessions."""
    return await one(conn, SQL["delete_user"], {"id": user_id}) is not None


async def by_usernames(conn: Conn, names: Sequence[str]) -> list[tuple[int, str]]:
    """(id, username) of the accounts with these usernames (any case); unknown ones left out."""
    if not names:
        return []
    rows = await all_rows(conn, SQL["ids_by_usernames"], {"names": [n.lower() for n in names]})
    return [(row["id"], row["username"]) for row in rows]


async def by_ids(conn: Conn, user_ids: Sequence[int]) -> dict[int, User]:
    """The accounts of some ids, by id; unknown ones left out."""
    if not user_ids:
        return {}
    rows = await all_rows(conn, SQL["users_by_ids"], {"ids": sorted(set(user_ids))})
    return {row["id"]: to_user(row) for row in rows}
