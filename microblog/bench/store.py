"""The benchmark's storage queries (sync: the harness runs them between measurements).

Their SQL is ``microblog/bench/sql/bench.sql``, loaded here and kept apart from the server's
``store/sql/*.sql``: the server never sees the benchmark's blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

import psycopg
from psycopg import sql

from microblog.store.db import Conn
from microblog.store.queries import load

READER_QUERIES = {
    "most_follows": "bench_reader_most_follows",
    "median": "bench_reader_median",
    "sparse": "bench_reader_sparse",
    "fan_of_biggest": "bench_reader_fan_of_biggest",
    "inactive": "bench_reader_inactive",
}


def q(name: str) -> LiteralString:
    """The SQL of one of the benchmark's named blocks."""
    return load("bench", "microblog.bench")[name]


def _value(conn: psycopg.Connection[tuple[object, ...]], name: str, **params: object) -> object:
    row = conn.execute(q(name), params).fetchone()
    return None if row is None else row[0]


def fingerprint(url: str) -> str | None:
    """The marker of the data set a bench database holds, or None."""
    with psycopg.connect(url) as conn:
        conn.execute(q("bench_marker_table"))
        value = _value(conn, "bench_marker_get")
    return None if value is None else str(value)


def mark(url: str, value: str) -> None:
    """Record which data set the database holds."""
    with psycopg.connect(url) as conn:
        conn.execute(q("bench_marker_table"))
        conn.execute(q("bench_marker_clear"))
        conn.execute(q("bench_marker_set"), {"fingerprint": value})


def restore(url: str) -> None:
    """Remove what earlier runs wrote: their posts, tokens, jobs and feed state."""
    with psycopg.connect(url) as conn:
        conn.execute(q("bench_restore"))
        conn.execute(q("bench_restore_state"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(q("bench_vacuum_posts"))


def set_activity(url: str, inactive_share: float) -> None:
    """Make a stable share of users inactive for a month, the rest recently active."""
    with psycopg.connect(url) as conn:
        conn.execute(q("bench_activity"), {"inactive_permille": int(inactive_share * 1000)})
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(q("bench_analyze_users"))


def readers(url: str) -> dict[str, int]:
    """The reader profiles of the benchmark spec, chosen deterministically."""
    found: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for label, name in READER_QUERIES.items():
            value = _value(conn, name)
            if value is not None:
                found[label] = int(value)  # type: ignore[call-overload]
    return found


def ids(url: str, name: str, n: int) -> list[int]:
    """A list of user ids from a named query with an ``n``."""
    with psycopg.connect(url) as conn:
        return [int(r[0]) for r in conn.execute(q(name), {"n": n}).fetchall()]


def scalar(url: str, name: str, **params: object) -> float:
    """One number from a named query."""
    with psycopg.connect(url) as conn:
        value = _value(conn, name, **params)
    return float(value or 0)  # type: ignore[arg-type]


async def waiting(conn: Conn, post_ids: list[int]) -> set[int]:
    """The posts among these not fanned out yet."""
    cur = await conn.execute(q("bench_outbox_waiting"), {"post_ids": post_ids})
    return {int(row["post_id"]) for row in await cur.fetchall()}


def forget_jobs(url: str) -> None:
    """Delete finished jobs (the benchmark keeps them to read their timings)."""
    with psycopg.connect(url) as conn:
        conn.execute(q("bench_forget_jobs"))


def vacuum(url: str, tables: Sequence[str]) -> None:
    """VACUUM ANALYZE a strategy's tables and what its build reads, as autovacuum would do
    after a bulk build (visibility map, statistics)."""
    names = sql.SQL(", ").join(sql.Identifier(t) for t in (*tables, "follows", "posts", "users"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(q("bench_vacuum_built")).format(tables=names))
