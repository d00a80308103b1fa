"""Questions about the database itself (sizes of relations)."""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.db import Conn, one, ordered
from microblog.store.queries import load

SQL = load("catalog")


async def size_bytes(conn: Conn, tables: Sequence[str]) -> int:
    """Bytes on disk of the tables (and views) with their indexes."""
    row = await one(conn, SQL["size_bytes"], {"tables": list(tables)})
    return 0 if row is None else int(row["bytes"])


async def row_count(conn: Conn, tables: Sequence[str]) -> int:
    """Rows in the tables, all together (exact counts)."""
    total = 0
    for table in tables:
        row = await one(conn, ordered(SQL["row_count"], True, table=table), {})
        total += 0 if row is None else int(row["n"])
    return total
