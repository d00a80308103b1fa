"""The PostgreSQL connection pool and small helpers to run named queries on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, LiteralString

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from microblog.store.queries import q

Conn = AsyncConnection[DictRow]
Params = Mapping[str, Any]


OPTIONS = "-c jit=off -c plan_cache_mode=force_generic_plan"


def make_pool(database_url: str, min_size: int, max_size: int) -> AsyncConnectionPool[Conn]:
    """A closed pool of dict-row connections; open it with ``await pool.open()``."""
    return AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        # Autocommit: a read is just its statements (no BEGIN / COMMIT round trips); every
        # change that must be atomic runs in an explicit ``conn.transaction()``.
        # jit=off: a feed query is a few milliseconds; JIT compiling it costs ~80 ms when the
        # planner's estimate crosses jit_above_cost (measured on the matview read).
        # force_generic_plan: psycopg prepares a statement after 5 runs, but PostgreSQL kept
        # planning custom plans for each run; planning the hydration of 20 posts (5 joins)
        # took longer than running it (1.5 ms vs 0.5 ms). Every query here is an index walk
        # whose plan does not depend on its values (pull picks its plan itself, by reader).
        kwargs={"row_factory": dict_row, "autocommit": True, "options": OPTIONS},
        connection_class=AsyncConnection[DictRow],
    )


async def execute(conn: Conn, name: str, params: Params) -> int:
    """Run a named statement; the number of rows it touched."""
    cur = await conn.execute(q(name), params)
    return cur.rowcount


async def one(conn: Conn, name: str, params: Params) -> DictRow | None:
    """The first row of a named query, or None."""
    cur = await conn.execute(q(name), params)
    return await cur.fetchone()


async def all_rows(conn: Conn, name: str, params: Params) -> list[DictRow]:
    """Every row of a named query."""
    cur = await conn.execute(q(name), params)
    return await cur.fetchall()


def ordered(name: str, descending: bool) -> sql.Composed:
    """A named query whose ``{order}`` slot is filled with ASC or DESC."""
    direction: LiteralString = "DESC" if descending else "ASC"
    return sql.SQL(q(name)).format(order=sql.SQL(direction))
