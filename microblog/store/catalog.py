"""Questions about the database itself (sizes of relations, transactions in flight)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psycopg import sql

from microblog.store.db import Conn, one
from microblog.store.queries import load

SQL = load("catalog")


async def size_bytes(conn: Conn, tables: Sequence[str]) -> int:
    """Bytes on disk of the tables (and views) with their indexes."""
    row = await one(conn, SQL["size_bytes"], {"tables": list(tables)})
    return 0 if row is None else int(row["bytes"])


async def row_count(conn: Conn, table: str) -> int:
    """Rows of one table or view, counted (a full scan: for reports, not requests)."""
    query = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))
    row = await one(conn, query, {})
    return 0 if row is None else int(row["n"])


async def now(conn: Conn) -> datetime:
    """The database's clock, now."""
    row = await one(conn, SQL["now"], {})
    assert row is not None
    at: datetime = row["at"]
    return at


async def writers_before(conn: Conn, table: str, at: datetime) -> int:
    """Other transactions begun by ``at`` that may still write into ``table``."""
    row = await one(conn, SQL["writers_before"], {"table": table, "at": at})
    return 0 if row is None else int(row["n"])
