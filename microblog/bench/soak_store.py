"""The soak test's queries: its database made afresh, its accounts, and what it watches.

Their SQL is ``microblog/bench/sql/soak.sql``, loaded here, apart from the server's
``store/sql/*.sql``.
"""

from __future__ import annotations

from typing import LiteralString

import psycopg
from psycopg import sql

from microblog.store.db import Conn
from microblog.store.queries import load


def q(name: str) -> LiteralString:
    """The SQL of one of the soak's named blocks."""
    return load("soak", "microblog.bench")[name]


def recreate(admin_url: str, name: str) -> str:
    """Drop the database ``name`` (closing its connections) and create it empty; its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for block in ("soak_drop_database", "soak_create_database"):
            conn.execute(sql.SQL(q(block)).format(name=sql.Identifier(name)))
    return f"{admin_url.rpartition('/')[0]}/{name}"


def drop(admin_url: str, name: str) -> None:
    """Drop the database ``name`` if it exists."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL(q("soak_drop_database")).format(name=sql.Identifier(name)))


def usernames(url: str, ids: list[int]) -> dict[int, str]:
    """The usernames of these users."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(q("soak_accounts"), {"ids": ids}).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


async def backends(conn: Conn) -> list[tuple[int, str, str]]:
    """(pid, backend type, state) of every other connection to the database."""
    cur = await conn.execute(q("soak_backends"))
    return [(int(r["pid"]), str(r["backend_type"]), str(r["state"])) for r in await cur.fetchall()]


async def backlog(conn: Conn) -> tuple[int, int]:
    """Jobs not finished, and posts waiting in the fan-out outbox."""
    cur = await conn.execute(q("soak_backlog"))
    row = await cur.fetchone()
    return (0, 0) if row is None else (int(row["jobs"]), int(row["outbox"]))
