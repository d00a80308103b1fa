"""The pull strategy's queries: one feed page of post ids from posts and follows."""

from __future__ import annotations

from microblog.store.db import Conn, Params, ordered


async def _ids(conn: Conn, name: str, descending: bool, params: Params) -> list[int]:
    cur = await conn.execute(ordered(name, descending), params)
    return [row["id"] for row in await cur.fetchall()]


async def network(
    conn: Conn,
    reader_id: int,
    include_self: bool,
    above: int,
    below: int,
    limit: int,
    descending: bool,
    merge: bool,
) -> list[int]:
    """Posts of the authors the reader follows (and the reader's own, if ``include_self``)."""
    params = {
        "reader_id": reader_id,
        "include_self": include_self,
        "above": above,
        "below": below,
        "limit": limit,
    }
    name = "pull_network_merge" if merge else "pull_network_scan"
    return await _ids(conn, name, descending, params)


async def author(
    conn: Conn, author_id: int, above: int, below: int, limit: int, descending: bool
) -> list[int]:
    """Posts of one author."""
    params = {"author_id": author_id, "above": above, "below": below, "limit": limit}
    return await _ids(conn, "pull_author", descending, params)


async def public(conn: Conn, above: int, below: int, limit: int, descending: bool) -> list[int]:
    """Every top-level post."""
    params = {"above": above, "below": below, "limit": limit}
    return await _ids(conn, "pull_public", descending, params)
