"""The pull strategy's queries: one feed page of post ids from posts and follows."""

from __future__ import annotations

from typing import LiteralString

from microblog.domain.types import Window
from microblog.store.db import Conn, Params, ids, one, ordered
from microblog.store.queries import load

SQL = load("pull")


async def _page(conn: Conn, query: LiteralString, window: Window, params: Params) -> list[int]:
    """Ids of a window, newest first (read from the oldest end when ``oldest_first``)."""
    bounds = {"above": window.above, "below": window.below, **params}
    found = await ids(conn, ordered(query, not window.oldest_first), bounds)
    return found[::-1] if window.oldest_first else found


async def network(
    conn: Conn, reader_id: int, include_self: bool, window: Window, limit: int, merge: bool
) -> list[int]:
    """Posts of the authors the reader follows (and the reader's own, if ``include_self``)."""
    params = {"reader_id": reader_id, "include_self": include_self, "limit": limit}
    query = SQL["network_merge"] if merge else SQL["network_scan"]
    return await _page(conn, query, window, params)


async def author(conn: Conn, author_id: int, window: Window, limit: int) -> list[int]:
    """Posts of one author."""
    return await _page(conn, SQL["author"], window, {"author_id": author_id, "limit": limit})


async def public(conn: Conn, reader_id: int | None, window: Window, limit: int) -> list[int]:
    """Every public top-level post, less those of authors hidden from the reader."""
    return await _page(conn, SQL["public"], window, {"reader_id": reader_id, "limit": limit})


async def has_hidden(conn: Conn, reader_id: int) -> bool:
    """Whether some author is hidden from the reader (a mute or a block either way)."""
    row = await one(conn, SQL["has_hidden"], {"reader_id": reader_id})
    return bool(row and row["yes"])
