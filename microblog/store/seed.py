"""Bulk-load the rows of ``microblog.seeding`` with COPY, in one transaction.

Fast at benchmark sizes (25M follows) because the loader: drops the secondary indexes and
the foreign keys and rebuilds them once afterwards; disables the counter triggers and
recomputes the counters with one UPDATE; writes COPY text in ~8 MB chunks built with joins
rather than one call per row; and uses COPY FREEZE (the tables are truncated in the same
transaction), so later reads neither set hint bits nor wait for a vacuum to allow
index-only scans.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import anyio
import psycopg
from psycopg.copy import QueuedLibpqWriter
from psycopg.rows import TupleRow

from microblog import passwords, seeding
from microblog.seeding import SeedPlan
from microblog.store.queries import load

SQL = load("seed")

CHUNK_BYTES = 8 * 1024 * 1024


class SeedError(Exception):
    """The database cannot be seeded as asked (for example it already has users)."""


class Reporter(Protocol):
    """Receives the loader's progress: phases, and rows written within a phase.

    Implementations live with their user interface: ``microblog seed`` reports with click
    (``microblog.cli``), the benchmark with rich (``microblog.bench.progress``).
    """

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts (and the previous one ends); total rows when known."""

    def advance(self, rows: int) -> None:
        """Rows written in the current phase."""

    def finish(self) -> None:
        """The last phase ended."""


@dataclass
class SeedReport:
    """What was loaded and how long each phase took (seconds)."""

    users: int = 0
    posts: int = 0
    follows: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """The whole load."""
        return sum(self.timings.values())


class _Phases:
    """Times the phases and forwards them to the reporter."""

    def __init__(self, report: SeedReport, reporter: Reporter | None) -> None:
        self._report = report
        self._reporter = reporter
        self._name: str | None = None
        self._started = 0.0

    def start(self, name: str, total: int | None = None) -> None:
        self._close()
        self._name, self._started = name, time.perf_counter()
        if self._reporter is not None:
            self._reporter.phase(name, total)

    def advance(self, rows: int) -> None:
        if self._reporter is not None:
            self._reporter.advance(rows)

    def finish(self) -> None:
        self._close()
        if self._reporter is not None:
            self._reporter.finish()

    def _close(self) -> None:
        if self._name is not None:
            self._report.timings[self._name] = time.perf_counter() - self._started
            self._name = None


def hash_password(password: str) -> str:
    """The argon2 digest every seeded user shares (hashed once: argon2 is slow on purpose)."""
    return anyio.run(passwords.hash_password, password)


def seed(
    database_url: str,
    plan: SeedPlan,
    password: str,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
) -> SeedReport:
    """Replace users, posts and follows with the plan's rows; refuses a database with users.

    With ``force``, wipes users (and with them posts, follows, API tokens and feed state)
    first. The database must be migrated to the newest revision. Call it from synchronous
    code: it runs an event loop of its own to hash the password.
    """
    report = SeedReport()
    phases = _Phases(report, reporter)
    phases.start("password")
    digest = _copy_text(hash_password(password))
    with psycopg.connect(database_url) as conn, conn.transaction(), conn.cursor() as cur:
        phases.start("prepare")
        cur.execute(SQL["seed_lock"])
        cur.execute(SQL["seed_users_present"])
        row = cur.fetchone()
        if row is not None and row[0] and not force:
            raise SeedError(
                "the database already has users; run `microblog seed --force` to wipe "
                "users, posts, follows and API tokens and seed anew"
            )
        cur.execute(SQL["seed_tune"])
        cur.execute(SQL["seed_wipe"])
        cur.execute(SQL["seed_matview_reset"])
        cur.execute(SQL["seed_drop_indexes"])
        cur.execute(SQL["seed_disable_triggers"])

        phases.start("users", plan.users)
        report.users = _copy(cur, "seed_copy_users", _user_lines(plan, digest), phases)
        phases.start("posts", plan.posts)
        report.posts = _copy(cur, "seed_copy_posts", _post_lines(plan), phases)
        phases.start("follows", seeding.total_follows(plan))
        cur.execute(SQL["seed_follows_dated"])
        report.follows = _copy(cur, "seed_copy_follows", _follow_lines(plan), phases)
        cur.execute(SQL["seed_follows_undated"])

        phases.start("indexes")
        cur.execute(SQL["seed_setval"])
        cur.execute(SQL["seed_create_indexes"])
        phases.start("foreign keys")
        cur.execute(SQL["seed_add_foreign_keys"])
        cur.execute(SQL["seed_enable_triggers"])
        phases.start("counters")
        cur.execute(SQL["seed_analyze_loaded"])
        cur.execute(SQL["seed_recount"])
        cur.execute(SQL["seed_analyze_users"])
        phases.start("commit")
    phases.finish()
    return report


def _copy(
    cur: psycopg.Cursor[TupleRow],
    name: str,
    lines: Iterable[tuple[str, int]],
    phases: _Phases,
) -> int:
    """COPY the text pieces, ~8 MB per write; the pieces come with the rows they hold."""
    total = 0
    # The queued writer sends from a thread, so Python builds the next chunk meanwhile.
    with cur.copy(SQL[name], writer=QueuedLibpqWriter(cur)) as copy:
        for chunk, rows in _chunks(lines):
            copy.write(chunk)
            total += rows
            phases.advance(rows)
    return total


def _chunks(pieces: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    buffer: list[str] = []
    size = rows = 0
    for text, n in pieces:
        buffer.append(text)
        size += len(text)
        rows += n
        if size >= CHUNK_BYTES:
            yield "".join(buffer), rows
            buffer, size, rows = [], 0, 0
    if buffer:
        yield "".join(buffer), rows


def _copy_text(value: str) -> str:
    """A value escaped for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _ts(value: datetime) -> str:
    return value.isoformat(sep=" ")


def _user_lines(plan: SeedPlan, digest: str) -> Iterator[tuple[str, int]]:
    for u in seeding.users(plan):
        joined = _ts(u.created_at)
        # Names and descriptions are made of seeding.WORDS and digits: nothing to escape.
        yield (
            f"{u.id}\t{u.username}\t{u.description}\t{digest}\t{joined}\t{joined}\t"
            f"{_ts(u.last_active_at)}\n",
            1,
        )


def _post_lines(plan: SeedPlan) -> Iterator[tuple[str, int]]:
    for p in seeding.posts(plan):
        at = _ts(p.created_at)
        parent = "\\N" if p.parent_id is None else p.parent_id
        # Contents are made of seeding.WORDS and punctuation: nothing to escape.
        yield f"{p.id}\t{p.author_id}\t{p.content}\t{parent}\t{at}\t{at}\n", 1


def _follow_lines(plan: SeedPlan) -> Iterator[tuple[str, int]]:
    # 25M rows: one join per follower over precomputed id strings, not a format per row.
    # The dates come from the columns' defaults during the load (see seed_follows_dated).
    ids = [str(i) for i in range(plan.users + 1)]
    for follower, followed in seeding.follows(plan):
        head = f"{follower}\t"
        yield head + ("\n" + head).join(map(ids.__getitem__, followed)) + "\n", len(followed)
