"""The matview strategy's storage: the user_feeds materialized view and its bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass

from microblog.store.db import Conn, execute, one, ordered


@dataclass(frozen=True, slots=True)
class ReaderView:
    """What the view holds for one reader."""

    generation: int
    hwm: int
    held: bool
    floor: int


async def reader(conn: Conn, reader_id: int) -> ReaderView:
    """The view's state for a reader."""
    row = await one(conn, "matview_reader", {"reader_id": reader_id})
    assert row is not None
    return ReaderView(row["generation"], row["hwm"], row["held"], row["floor"])


async def page(
    conn: Conn,
    reader_id: int,
    include_self: bool,
    above: int,
    below: int,
    limit: int,
    descending: bool,
) -> tuple[int, list[int]]:
    """(generation, ids) of the view's posts for a reader in a window, plus own posts."""
    params = {
        "reader_id": reader_id,
        "include_self": include_self,
        "above": above,
        "below": below,
        "limit": limit,
    }
    cur = await conn.execute(ordered("matview_page", descending), params)
    row = await cur.fetchone()
    assert row is not None
    return int(row["generation"]), list(row["ids"])


async def mark_stale(conn: Conn, reader_id: int) -> None:
    """The reader's follows changed: serve them by pull until the next refresh."""
    await execute(conn, "matview_mark_stale", {"reader_id": reader_id})


async def refresh_due(conn: Conn, every_seconds: int) -> bool:
    """Whether the last refresh is older than ``every_seconds``."""
    row = await one(conn, "matview_due", {"seconds": every_seconds})
    return bool(row and row["due"])


async def refresh(conn: Conn, active_days: int, per_reader: int) -> None:
    """Recompute the view for the active readers, in one transaction readers never see half of."""
    async with conn.transaction():
        await execute(conn, "matview_unlist_readers", {})
        await execute(conn, "matview_list_readers", {"active_days": active_days})
        row = await one(conn, "matview_begin_refresh", {"per_reader": per_reader})
        assert row is not None
        await execute(conn, "matview_refresh", {})
        await execute(conn, "matview_analyze", {})
        await execute(conn, "matview_clear_stale", {"stale_upto": row["stale_upto"]})


async def storage_bytes(conn: Conn) -> int:
    """Bytes of the view and its bookkeeping."""
    row = await one(conn, "matview_storage", {})
    return 0 if row is None else int(row["bytes"])
