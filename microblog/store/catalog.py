"""Questions about the database itself (sizes of relations)."""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.db import Conn, one
from microblog.store.queries import load

SQL = load("catalog")


async def size_bytes(conn: Conn, tables: Sequence[str]) -> int:
    """Bytes on disk of the tables (and views) with their indexes."""
    row = await one(conn, SQL["size_bytes"], {"tables": list(tables)})
    return 0 if row is None else int(row["bytes"])


async def inserted_rows(conn: Conn, tables: Sequence[str]) -> int:
    """Rows ever inserted into the tables, as the statistics have it (deletes don't count)."""
    row = await one(conn, SQL["inserted_rows"], {"tables": list(tables)})
    return 0 if row is None else int(row["n"])
