"""The replica benchmark's queries: transactions per server, WAL positions, and the push
tables switched to LOGGED (sync: the harness runs them between measurements).

Their SQL is ``microblog/bench/sql/replicas.sql``, loaded here, apart from the server's
``store/sql/*.sql``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from microblog.store.queries import load


def q(name: str) -> LiteralString:
    """The SQL of one of the replica benchmark's named blocks."""
    return load("replicas", "microblog.bench")[name]


def _number(url: str, name: str, **params: object) -> int | None:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(q(name), params).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def xacts(url: str, database: str) -> int:
    """Transactions committed in ``database`` on the server of ``url`` (its own count)."""
    return _number(url, "replicas_xacts", database=database) or 0


def insert_lsn(url: str) -> int:
    """The primary's WAL insert position, in bytes."""
    found = _number(url, "replicas_insert_lsn")
    assert found is not None
    return found


def persistence(url: str, tables: Sequence[str]) -> dict[str, str]:
    """Each existing table among ``tables``: ``logged`` or ``unlogged``."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        rows = conn.execute(q("replicas_persistence"), {"tables": list(tables)}).fetchall()
    return {str(name): "unlogged" if kind == "u" else "logged" for name, kind in rows}


def table_bytes(url: str, tables: Sequence[str]) -> int:
    """Bytes of the tables with their indexes."""
    return _number(url, "replicas_bytes", tables=list(tables)) or 0


def checkpoint(url: str) -> None:
    """A checkpoint now (superuser: the benchmark's private primary)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(q("replicas_checkpoint"))


def set_logged(url: str, tables: Sequence[str]) -> dict[str, Any]:
    """``ALTER TABLE … SET LOGGED`` on each UNLOGGED table among ``tables``: the seconds it
    took, the WAL it wrote (the tables' contents) and the bytes of the tables."""
    unlogged = [t for t, kind in persistence(url, tables).items() if kind == "unlogged"]
    before = insert_lsn(url)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        for table in unlogged:
            conn.execute(sql.SQL(q("replicas_set_logged")).format(table=sql.Identifier(table)))
    seconds = time.perf_counter() - started
    return {
        "tables": unlogged,
        "seconds": round(seconds, 3),
        "wal_bytes": insert_lsn(url) - before,
        "table_bytes": table_bytes(url, unlogged),
    }
