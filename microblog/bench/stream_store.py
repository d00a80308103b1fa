"""The streaming benchmark's queries: its readers, who follows whom among them, and when
each measured post was written.

Their SQL is ``microblog/bench/sql/stream.sql``, loaded here, apart from the server's
``store/sql/*.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

import psycopg

from microblog.store.queries import load


def q(name: str) -> LiteralString:
    """The SQL of one of the streaming benchmark's named blocks."""
    return load("stream", "microblog.bench")[name]


def readers(url: str, authors: Sequence[int], n: int) -> list[int]:
    """Up to ``n`` accounts that follow at least one of ``authors`` (deterministic)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(q("stream_readers"), {"authors": list(authors), "n": n}).fetchall()
    return [int(row[0]) for row in rows]


def followers(url: str, authors: Sequence[int], readers: Sequence[int]) -> dict[int, set[int]]:
    """For each author, the readers among ``readers`` who follow it."""
    found: dict[int, set[int]] = {author: set() for author in authors}
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            q("stream_follows"), {"authors": list(authors), "readers": list(readers)}
        ).fetchall()
    for author, reader in rows:
        found[int(author)].add(int(reader))
    return found


def created(url: str, post_ids: Sequence[int]) -> dict[int, float]:
    """Each post's ``created_at`` (its transaction's start) in seconds since the epoch."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(q("stream_created"), {"post_ids": list(post_ids)}).fetchall()
    return {int(row[0]): float(row[1]) for row in rows}
