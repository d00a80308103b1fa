"""The PostgreSQL connection pool and small helpers to run queries on it."""

from __future__ import annotations

import functools
import select
from collections.abc import Mapping
from typing import Any, LiteralString, TypeAlias

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn
from microblog.store.queries import load

__all__ = [
    "Conn",
    "Params",
    "Query",
    "all_rows",
    "execute",
    "filtered",
    "ids",
    "make_pool",
    "one",
    "ordered",
]

Params = Mapping[str, Any]
Query: TypeAlias = LiteralString | sql.Composed

OPTIONS = "-c jit=off -c plan_cache_mode=force_generic_plan"


def make_pool(
    database_url: str, min_size: int, max_size: int, pgbouncer: bool = False
) -> AsyncConnectionPool[Conn]:
    """A closed pool of dict-row connections; open it with ``await pool.open()``.

    ``pgbouncer``: the URL goes through PgBouncer in transaction pooling mode, where one
    client's statements land on any server connection: nothing is prepared (a prepared
    statement would be missing on the next), and no session setting is sent (PgBouncer
    refuses the ``options`` startup parameter; the database's own ``ALTER DATABASE … SET
    jit = off`` carries it, as ``microblog cluster`` sets it)."""
    kwargs: dict[str, Any] = {"row_factory": dict_row, "autocommit": True, "options": OPTIONS}
    if pgbouncer:
        kwargs = {"row_factory": dict_row, "autocommit": True, "prepare_threshold": None}
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
        kwargs=kwargs,
        connection_class=AsyncConnection[DictRow],
        check=check_idle,
    )


async def check_idle(conn: Conn) -> None:
    """Run by the pool before it lends a connection: a dead one raises, and the pool takes
    another. An idle connection's socket has nothing to read unless the server spoke unasked,
    which in practice is to say it is closing it (a terminated backend, a restart); only then
    is the server asked (an empty query), so a healthy connection costs one ``select`` call,
    not a round trip. A connection cut silently (no FIN) still fails the request using it."""
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:
        await conn.execute("")


async def execute(conn: Conn, query: Query, params: Params) -> int:
    """Run a statement; the number of rows it touched."""
    cur = await conn.execute(query, params)
    return cur.rowcount


async def one(conn: Conn, query: Query, params: Params) -> DictRow | None:
    """The first row of a query, or None."""
    cur = await conn.execute(query, params)
    return await cur.fetchone()


async def all_rows(conn: Conn, query: Query, params: Params) -> list[DictRow]:
    """Every row of a query."""
    cur = await conn.execute(query, params)
    return await cur.fetchall()


async def ids(conn: Conn, query: Query, params: Params) -> list[int]:
    """The ``id`` column of every row of a query."""
    cur = await conn.execute(query, params)
    return [row["id"] for row in await cur.fetchall()]


def ordered(query: LiteralString, descending: bool, **names: str) -> sql.Composed:
    """A query with its ``{order}`` slot filled with ASC or DESC, its filter slots
    (``{home_visible}``, ``{visible_to}``, ``{unhidden}``: ``sql/filters.sql``) with those
    conditions, and its other slots with the given identifiers (table names of our own,
    never input)."""
    return _compose(query, descending, tuple(sorted(names.items())))


def filtered(query: LiteralString, reader: LiteralString | None = None) -> sql.Composed:
    """A query with its filter slots filled (see ``ordered``), for queries without order.
    ``reader``: a column of the query (ours, never input) that stands for the reader in the
    filters, for a query that judges many readers at once; else ``%(reader_id)s``."""
    return _compose(query, True, (), reader)


def _condition(text: LiteralString, reader: LiteralString | None) -> LiteralString:
    """A filter's text as one parenthesized condition, without its comment lines."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    body: LiteralString = "\n".join(lines)
    if reader is not None:
        body = body.replace("%(reader_id)s", reader)
    return "(" + body + ")"


@functools.lru_cache(maxsize=512)
def _compose(
    query: LiteralString,
    descending: bool,
    names: tuple[tuple[str, str], ...],
    reader: LiteralString | None = None,
) -> sql.Composed:
    direction: LiteralString = "DESC" if descending else "ASC"
    slots = {key: sql.Identifier(value) for key, value in names}
    filters = {key: sql.SQL(_condition(text, reader)) for key, text in load("filters").items()}
    return sql.SQL(query).format(order=sql.SQL(direction), **filters, **slots)
