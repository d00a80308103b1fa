"""The outbox of new posts waiting for their background work, taken in batches."""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.db import Conn, all_rows, execute
from microblog.store.queries import load

SQL = load("outbox")


async def put(conn: Conn, post_id: int) -> None:
    """Put a new post in the outbox (in the post's transaction)."""
    await execute(conn, SQL["outbox_put"], {"post_id": post_id})


async def take(conn: Conn, post_ids: Sequence[int], batch: int) -> list[int]:
    """Take out of the outbox these posts and up to ``batch`` others waiting, except those
    another job holds; the posts to process now, oldest first."""
    rows = await all_rows(conn, SQL["outbox_take"], {"post_ids": list(post_ids), "batch": batch})
    return sorted(row["post_id"] for row in rows)


async def drop_author(conn: Conn, author_id: int) -> int:
    """Take an author's waiting posts out of the outbox (their account is being deleted)."""
    return await execute(conn, SQL["outbox_drop_author"], {"author_id": author_id})
