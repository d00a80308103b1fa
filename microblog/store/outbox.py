"""The outbox of new posts waiting for their background work, taken in batches.

Posts wait in one of two queues: ``large`` (authors with many followers) or not. Each queue
has at most one job waiting to start (the job queue's queueing lock), so a post whose
transaction finds one waiting queues none of its own and counts on it. ``hold_and_wake`` and
``settle`` make that safe: a post holds a share of its queue's lock until it commits, and a
job that found its queue empty takes the lock whole before it stops, so it waits for every
post that was counting on it and sees it (see ``FeedEngine.drain_posts``).
"""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.db import Conn, all_rows, execute, one
from microblog.store.queries import load

SQL = load("outbox")


async def put(conn: Conn, post_id: int, author_id: int, large_followers: int | None) -> bool:
    """Put a new post in the outbox (in the post's transaction); whether it waits in the
    large queue (its author has at least ``large_followers`` followers; None: never)."""
    params = {"post_id": post_id, "author_id": author_id, "large_followers": large_followers}
    row = await one(conn, SQL["outbox_put"], params)
    return bool(row is not None and row["large"])


async def hold_and_wake(
    conn: Conn, large: bool, lock: str, channels: Sequence[str], payload: str
) -> bool:
    """A share of the queue's lock until this (post's) transaction ends, then whether the
    queue's job (its queueing ``lock``) waits to start, and if it does, ``wake`` too: one
    round trip for what a post's transaction does most often. Take no other lock after it."""
    params = {"large": large, "lock": lock, "channels": list(channels), "payload": payload}
    row = await one(conn, SQL["outbox_hold_and_wake"], params)
    return bool(row is not None and row["waiting"])


async def settle(conn: Conn, large: bool, timeout_ms: int) -> None:
    """Wait (in this transaction, at most ``timeout_ms``: ``LockNotAvailable`` past it) until
    every post transaction holding a share of the queue's lock has ended."""
    await execute(conn, SQL["outbox_settle_timeout"], {"timeout": f"{timeout_ms}ms"})
    await execute(conn, SQL["outbox_settle"], {"large": large})


async def wake(conn: Conn, channels: Sequence[str], payload: str) -> None:
    """Notify these channels with this payload when the transaction commits."""
    await execute(conn, SQL["outbox_wake"], {"channels": list(channels), "payload": payload})


async def take(conn: Conn, post_ids: Sequence[int], batch: int, large: bool = False) -> list[int]:
    """Take out of the outbox these posts and up to ``batch`` others waiting in the queue,
    except those another job holds; the posts to process now, oldest first."""
    params = {"post_ids": list(post_ids), "batch": batch, "large": large}
    rows = await all_rows(conn, SQL["outbox_take"], params)
    return sorted(row["post_id"] for row in rows)


async def waiting(conn: Conn, large: bool) -> bool:
    """Whether any post waits in the queue."""
    row = await one(conn, SQL["outbox_waiting"], {"large": large})
    return bool(row is not None and row["waiting"])


async def drop_author(conn: Conn, author_id: int) -> int:
    """Take an author's waiting posts out of the outbox (their account is being deleted)."""
    return await execute(conn, SQL["outbox_drop_author"], {"author_id": author_id})
