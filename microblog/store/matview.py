"""The matview strategy's storage: the user_feeds materialized view and its bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from microblog.domain.types import Window
from microblog.store.db import Conn, execute, one, ordered
from microblog.store.queries import load

SQL = load("matview")


@dataclass(frozen=True, slots=True)
class ReaderView:
    """What the view holds for one reader."""

    generation: int
    hwm: int
    held: bool
    floor: int


async def reader(conn: Conn, reader_id: int) -> ReaderView:
    """The view's state for a reader."""
    row = await one(conn, SQL["reader"], {"reader_id": reader_id})
    assert row is not None
    return ReaderView(row["generation"], row["hwm"], row["held"], row["floor"])


async def page(
    conn: Conn, reader_id: int, include_self: bool, window: Window, limit: int
) -> tuple[int, list[int]]:
    """(generation, ids newest first) of the view's posts for a reader in a window, plus
    own posts."""
    params = {
        "reader_id": reader_id,
        "include_self": include_self,
        "above": window.above,
        "below": window.below,
        "limit": limit,
    }
    row = await one(conn, ordered(SQL["page"], not window.oldest_first), params)
    assert row is not None
    found = list(row["ids"])
    return int(row["generation"]), found[::-1] if window.oldest_first else found


async def mark_stale(conn: Conn, reader_id: int) -> None:
    """The reader's follows changed: serve them by pull until the next refresh."""
    await execute(conn, SQL["mark_stale"], {"reader_id": reader_id})


async def refresh_due(conn: Conn, every_seconds: float) -> bool:
    """Whether the last refresh is older than ``every_seconds``."""
    row = await one(conn, SQL["due"], {"seconds": every_seconds})
    return bool(row and row["due"])


@dataclass(frozen=True, slots=True)
class HighWater:
    """The last post id handed out, and when it was read."""

    hwm: int
    at: datetime


async def high_water(conn: Conn) -> HighWater:
    """The last post id handed out, now."""
    row = await one(conn, SQL["high_water"], {})
    assert row is not None
    return HighWater(int(row["hwm"]), row["at"])


async def writers_before(conn: Conn, mark: HighWater) -> int:
    """Transactions begun by the mark that still write posts."""
    row = await one(conn, SQL["writers_before"], {"at": mark.at})
    return 0 if row is None else int(row["n"])


async def refresh(conn: Conn, hwm: int, active_days: int, per_reader: int) -> None:
    """Recompute the view for the active readers up to ``hwm``, in one transaction readers
    never see half of."""
    async with conn.transaction():
        await execute(conn, SQL["lock_state"], {})
        await execute(conn, SQL["unlist_readers"], {})
        await execute(conn, SQL["list_readers"], {"active_days": active_days})
        row = await one(conn, SQL["begin_refresh"], {"per_reader": per_reader, "hwm": hwm})
        assert row is not None
        await execute(conn, SQL["refresh"], {})
        await execute(conn, SQL["analyze"], {})
        await execute(conn, SQL["clear_stale"], {"stale_upto": row["stale_upto"]})


async def forget_all(conn: Conn) -> None:
    """Hold no reader (pages come from pull) until the next refresh."""
    async with conn.transaction():
        await execute(conn, SQL["lock_state"], {})
        await execute(conn, SQL["unlist_readers"], {})
        await execute(conn, SQL["clear_stale_all"], {})
        await execute(conn, SQL["forget_all"], {})
        await execute(conn, SQL["empty_view"], {})


async def drop_reader(conn: Conn, reader_id: int) -> None:
    """A deleted account leaves the view's bookkeeping now, and the view at the next
    maintenance pass (which refreshes it early). Waits for a refresh in progress."""
    async with conn.transaction():
        await execute(conn, SQL["lock_state"], {})
        await execute(conn, SQL["drop_reader"], {"reader_id": reader_id})
        await execute(conn, SQL["drop_stale"], {"reader_id": reader_id})
        await execute(conn, SQL["refresh_soon"], {})
