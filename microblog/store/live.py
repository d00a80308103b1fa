"""Who among the connected readers a live event concerns (sql/live.sql)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from microblog.domain.types import Conn
from microblog.store.db import all_rows, filtered
from microblog.store.queries import load

SQL = load("live")


@dataclass(frozen=True, slots=True)
class PublicPost:
    """A new public post: whether the public stream shows it (top level), its hashtags,
    and the connected readers who do not hide its author."""

    post_id: int
    top_level: bool
    tags: tuple[str, ...]
    user_ids: frozenset[int]


async def home_audience(
    conn: Conn, post_ids: Sequence[int], user_ids: Collection[int]
) -> list[tuple[int, int]]:
    """(post, reader) for each new post and connected reader whose home feed shows it."""
    if not post_ids or not user_ids:
        return []
    query = filtered(SQL["home_audience"], reader="r.id")
    rows = await all_rows(conn, query, {"post_ids": list(post_ids), "user_ids": list(user_ids)})
    return [(row["post_id"], row["user_id"]) for row in rows]


async def public_audience(
    conn: Conn, post_ids: Sequence[int], user_ids: Collection[int]
) -> list[PublicPost]:
    """The new posts the public and hashtag streams show."""
    if not post_ids:
        return []
    query = filtered(SQL["public_audience"], reader="r.id")
    rows = await all_rows(conn, query, {"post_ids": list(post_ids), "user_ids": list(user_ids)})
    return [
        PublicPost(r["post_id"], r["top_level"], tuple(r["tags"]), frozenset(r["user_ids"]))
        for r in rows
    ]


async def author_audience(conn: Conn, author_id: int, user_ids: Collection[int]) -> list[int]:
    """Of the connected readers, the author and its followers."""
    if not user_ids:
        return []
    rows = await all_rows(
        conn, SQL["followers_among"], {"author_id": author_id, "user_ids": list(user_ids)}
    )
    return [row["user_id"] for row in rows]


async def notify(conn: Conn, channel: str, payload: str) -> None:
    """NOTIFY ``channel`` (delivered when the transaction commits)."""
    await all_rows(conn, SQL["notify"], {"channel": channel, "payload": payload})
