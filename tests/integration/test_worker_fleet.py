"""The worker fleet: fan-out jobs that take batches from the outbox, one queue for posts of
authors with many followers (``fanout_large``) and one for the others (``fanout``), and
several real ``microblog worker`` processes on them, some killed with SIGKILL mid-job.

What must hold: every post reaches every follower's feed exactly once (the pages equal
pull's), no job runs twice, nothing is left in the outbox or the job queue, a post that
counted on a job waiting to start is taken by it, and a celebrity's fan-out never holds up a
small author's, whether workers are dedicated to a queue or serve both.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from procrastinate.manager import get_channel_for_queues
from psycopg import sql

from microblog.cli import main
from microblog.cluster import procs
from microblog.domain.models import FeedMode
from microblog.domain.types import Conn, Window
from microblog.jobs.queue import FANOUT_LARGE_QUEUE, FANOUT_QUEUE, parse_queues, worker_groups
from microblog.jobs.tasks import retry_stalled_jobs
from microblog.settings import Settings
from microblog.store.bus import Bus, Message
from tests.conftest import Runtime, open_test_runtime

MICROBLOG = Path(sys.executable).parent / "microblog"
# In these tests an author with this many followers is large (fans out on fanout_large).
LARGE = 6
WAITING = "SELECT count(*) FROM feed_outbox"
UNFINISHED = (
    "SELECT count(*) FROM procrastinate_jobs "
    "WHERE task_name = 'microblog:fan_out' AND status IN ('todo', 'doing')"
)
# Worker connections waiting for an author's fan-out lock (the bigint advisory key space).
STUCK = """
SELECT DISTINCT a.application_name
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted AND l.locktype = 'advisory' AND l.objsubid = 1 AND l.objid = ANY(%s)
  AND a.datname = current_database() AND a.application_name LIKE 'fleet-%%'
"""


def fleet_settings(settings: Settings) -> Settings:
    """Fan-out, small batches (so a burst makes many), a low bar for large authors, and
    a fleet that notices a dead worker within seconds."""
    return settings.replace(
        feed_strategy="fanout",
        fanout_batch=4,
        fanout_large_followers=LARGE,
        maintenance_seconds=2,
        worker_heartbeat_seconds=1,
    )


def scalar(url: str, sql: str, *params: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def rows(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        await asyncio.sleep(0.1)


# The network ---------------------------------------------------------------------------


@dataclass
class Network:
    """Readers with built feeds, small authors (fewer than LARGE followers each) and
    celebrities (every reader follows them)."""

    readers: list[int]
    small: list[int]
    celebrities: list[int]
    followers: dict[int, list[int]] = field(default_factory=dict)

    @property
    def authors(self) -> list[int]:
        return self.small + self.celebrities


async def network(runtime: Runtime, readers: int, small: int, celebrities: int) -> Network:
    url = runtime.settings.database_url
    with psycopg.connect(url) as conn:
        made = [
            conn.execute(
                "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                (f"w{i}",),
            ).fetchone()[0]  # type: ignore[index]
            for i in range(readers + small + celebrities)
        ]
    net = Network(made[:readers], made[readers : readers + small], made[readers + small :])
    for i, author in enumerate(net.small):
        # Three readers each, a different three for each author.
        net.followers[author] = [net.readers[(i + k) % readers] for k in range(3)]
    for author in net.celebrities:
        net.followers[author] = list(net.readers)
    for author, fans in net.followers.items():
        for fan in fans:
            await runtime.microblog.follow(fan, author)
    for reader in net.readers:
        await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 5)  # claims a feed
    await runtime.drain()  # builds them
    return net


async def write(runtime: Runtime, authors: Sequence[int], count: int, tag: str) -> list[int]:
    """``count`` posts, by the authors in turn, from four writers at once."""
    turns = itertools.islice(itertools.cycle(authors), count)
    todo = list(enumerate(turns))

    async def writer(share: list[tuple[int, int]]) -> list[int]:
        return [
            (await runtime.microblog.create_post(author, f"{tag} {n}", None)).id
            for n, author in share
        ]

    done = await asyncio.gather(*(writer(todo[k::4]) for k in range(4)))
    return sorted(post for posts in done for post in posts)


# The workers ---------------------------------------------------------------------------


def worker_env(settings: Settings, name: str) -> dict[str, str]:
    """A worker on the test's database and Redis, with the test's settings; its database
    connections carry its name (``application_name``), so the test sees which is which."""
    return {
        "MICROBLOG_DATABASE_URL": settings.database_url,
        "MICROBLOG_REDIS_URL": settings.redis_url,
        "MICROBLOG_FEED_STRATEGY": settings.feed_strategy,
        "MICROBLOG_FANOUT_BATCH": str(settings.fanout_batch),
        "MICROBLOG_FANOUT_LARGE_FOLLOWERS": str(settings.fanout_large_followers),
        "MICROBLOG_MAINTENANCE_SECONDS": str(settings.maintenance_seconds),
        "MICROBLOG_WORKER_HEARTBEAT_SECONDS": str(settings.worker_heartbeat_seconds),
        "PGAPPNAME": name,
    }


Start = Callable[..., procs.Proc]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Start]:
    """Starts ``microblog worker`` processes (keeping every finished job, for the checks);
    stops those still running at the end."""
    started: list[procs.Proc] = []

    def start(settings: Settings, name: str, *args: str) -> procs.Proc:
        argv = [str(MICROBLOG), "worker", "--delete-jobs", "never", *args]
        proc = procs.spawn(name, argv, tmp_path / f"{name}.log", env=worker_env(settings, name))
        started.append(proc)
        return proc

    yield start
    for proc in started:
        procs.stop(proc)


@contextlib.contextmanager
def held_authors(url: str, authors: Sequence[int]) -> Iterator[psycopg.Connection[Any]]:
    """Hold these authors' fan-out locks (a fan-out of their posts waits, mid-job, holding
    its batch) until the block ends."""
    with psycopg.connect(url, autocommit=True) as blocker:
        for author in authors:
            blocker.execute("SELECT pg_advisory_lock(%s)", (author,))
        yield blocker


def stuck_workers(url: str, authors: Sequence[int]) -> set[str]:
    """The workers with a job waiting for one of these authors' locks."""
    return {name for (name,) in rows(url, STUCK, list(authors))}


# Checks --------------------------------------------------------------------------------


async def walk(runtime: Runtime, reader: int, pull: bool) -> list[int]:
    """Every id of a reader's home feed, under fanout or under pull, page by page."""
    engine = runtime.engine
    strategy = engine.pull if pull else engine.serving
    ids: list[int] = []
    window = Window()
    async with engine.pool.connection() as conn:
        for _ in range(500):
            page = await strategy.page(conn, reader, FeedMode.TIMELINE, window, 21)
            ids += page[:20]
            if len(page) <= 20:
                return ids
            window = Window(below=page[19])
    raise AssertionError("the feed does not end")


async def assert_fanned_out_once(runtime: Runtime, net: Network, posts: Sequence[int]) -> None:
    url = runtime.settings.database_url
    for post, author in rows(url, "SELECT id, author_id FROM posts WHERE id = ANY(%s)", posts):
        fans = sorted(net.followers[author])
        got = rows(url, "SELECT user_id FROM feed_entries WHERE post_id = %s ORDER BY 1", post)
        assert [user for (user,) in got] == fans, f"post {post}"
    for reader in net.readers:
        assert await walk(runtime, reader, pull=False) == await walk(runtime, reader, pull=True)


def assert_no_job_ran_twice(url: str) -> None:
    """Every fan-out job ended once (succeeded), and ran again only after it was put back
    in the queue (a dead worker's): started = put back + 1."""
    statuses = rows(
        url,
        "SELECT status::text, count(*) FROM procrastinate_jobs "
        "WHERE task_name = 'microblog:fan_out' GROUP BY 1",
    )
    assert dict(statuses).keys() == {"succeeded"}, statuses
    history = rows(
        url,
        """
        SELECT j.id,
               count(*) FILTER (WHERE e.type = 'started'),
               count(*) FILTER (WHERE e.type = 'deferred_for_retry'),
               count(*) FILTER (WHERE e.type = 'succeeded')
        FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
        WHERE j.task_name = 'microblog:fan_out'
        GROUP BY j.id
        """,
    )
    for job, started, put_back, succeeded in history:
        assert (started, succeeded) == (put_back + 1, 1), f"job {job}"


# The fleet -----------------------------------------------------------------------------


async def test_a_fleet_with_workers_killed_mid_job_fans_out_every_post_once(
    settings: Settings, workers: Start
) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=10, small=6, celebrities=2)
        # Two serving every queue, one dedicated to each fan-out queue (with default).
        started = {
            "fleet-0": workers(fleet, "fleet-0"),
            "fleet-1": workers(fleet, "fleet-1"),
            "fleet-2": workers(fleet, "fleet-2", "--queues", "fanout"),
            "fleet-3": workers(fleet, "fleet-3", "--queues", "fanout_large,default"),
        }
        # A small author's and a celebrity's fan-outs stop mid-job while their locks are
        # held; the posts keep coming until two workers are caught in such jobs.
        blocked = [net.small[0], net.celebrities[0]]
        posts: list[int] = []
        with held_authors(url, blocked):
            deadline = time.monotonic() + 60
            while len(stuck := stuck_workers(url, blocked)) < 2:
                assert time.monotonic() < deadline, "no two workers took the held posts"
                posts += await write(runtime, net.authors, 16, "before")
                await asyncio.sleep(0.2)
            # Any two: the others still serve every queue (see the --queues above).
            for name in sorted(stuck)[:2]:
                procs.kill(started[name])
            killed = sorted(stuck)[:2]
        # Their transactions roll back (their posts stay in the outbox); the rest of the
        # fleet goes on, and a maintenance pass puts their jobs back in the queue.
        posts += await write(runtime, net.authors, 48, "after")
        await until(
            lambda: scalar(url, WAITING) == 0 and scalar(url, UNFINISHED) == 0,
            90,
            f"the outbox emptied and every job finished (killed: {killed})",
        )
        for name, proc in started.items():
            assert proc.alive() == (name not in killed), proc.tail()

        await assert_fanned_out_once(runtime, net, posts)
        assert_no_job_ran_twice(url)
        queues = rows(
            url,
            "SELECT DISTINCT queue_name FROM procrastinate_jobs "
            "WHERE task_name = 'microblog:fan_out'",
        )
        assert sorted(q for (q,) in queues) == [FANOUT_QUEUE, FANOUT_LARGE_QUEUE]


@pytest.mark.parametrize(
    "fleet_args",
    [
        pytest.param(
            [["--queues", "fanout_large"], ["--queues", "fanout,default"]], id="dedicated"
        ),
        pytest.param([["--concurrency", "1"]], id="one-worker-one-slot"),
    ],
)
async def test_a_celebrity_fanout_does_not_hold_up_a_small_authors(
    settings: Settings, workers: Start, fleet_args: list[list[str]]
) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=8, small=1, celebrities=1)
        (celebrity,), (author,) = net.celebrities, net.small
        for i, args in enumerate(fleet_args):
            workers(fleet, f"fleet-{i}", *args)
        with held_authors(url, [celebrity]):
            big = await runtime.microblog.create_post(celebrity, "to everyone", None)
            assert rows(url, "SELECT large FROM feed_outbox WHERE post_id = %s", big.id) == [
                (True,)
            ]
            await until(
                lambda: bool(stuck_workers(url, [celebrity])), 30, "the celebrity's job runs"
            )
            small = await runtime.microblog.create_post(author, "to a few", None)
            entries = "SELECT count(*) FROM feed_entries WHERE post_id = %s"
            await until(
                lambda: scalar(url, entries, small.id) == len(net.followers[author]),
                30,
                "the small author's post is fanned out",
            )
            # The celebrity's fan-out is still held, mid-job.
            assert scalar(url, entries, big.id) == 0
            assert scalar(url, "SELECT count(*) FROM feed_outbox WHERE post_id = %s", big.id)
        await until(
            lambda: scalar(url, entries, big.id) == len(net.readers),
            30,
            "the celebrity's post is fanned out once its lock is free",
        )


async def test_sigterm_stops_a_worker_once_its_running_jobs_finish(
    settings: Settings, workers: Start
) -> None:
    # No upkeep pass meanwhile: one that sees the held post waiting queues a job for it (it
    # would find nothing to do), which the stopping worker rightly leaves in the queue.
    fleet = fleet_settings(settings).replace(maintenance_seconds=60)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=3, small=1, celebrities=0)
        (author,) = net.small
        proc = workers(fleet, "fleet-0")
        with held_authors(url, [author]):
            post = await runtime.microblog.create_post(author, "finish me", None)
            await until(lambda: bool(stuck_workers(url, [author])), 30, "the job runs")
            proc.popen.send_signal(signal.SIGTERM)
        # The job in progress finishes (its post fanned out), then both of the process's
        # procrastinate workers unregister, and it exits.
        assert await asyncio.to_thread(proc.popen.wait, 30) == 0, proc.tail()
        assert scalar(url, WAITING) == 0
        await assert_fanned_out_once(runtime, net, [post.id])
        assert scalar(url, "SELECT count(*) FROM procrastinate_workers") == 0
        assert_no_job_ran_twice(url)


# In one process: the protocol between posts and the job waiting to start -------------


class HeldBus:
    """The runtime's real bus, with the next ``publish_in`` (the last step of a post's
    transaction before it commits) held until released; it remembers what was said after
    commits."""

    def __init__(self, inner: Bus) -> None:
        self.inner = inner
        self.armed = False
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.said: list[Message] = []

    async def publish_in(self, conn: Conn, messages: Sequence[Message]) -> None:
        if self.armed:
            self.armed = False
            self.reached.set()
            await self.release.wait()
        await self.inner.publish_in(conn, messages)

    async def publish_after(self, messages: Sequence[Message]) -> None:
        self.said += messages
        await self.inner.publish_after(messages)

    def listen(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Message]]:
        return self.inner.listen()


async def test_a_post_that_found_a_job_waiting_is_taken_by_it(settings: Settings) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=3, small=1, celebrities=0)
        (author,) = net.small
        assert runtime.engine.bus is not None
        bus = HeldBus(runtime.engine.bus)
        runtime.engine.bus = bus
        first = await runtime.microblog.create_post(author, "first", None)
        assert scalar(url, UNFINISHED) == 1  # its job, waiting to start
        # A second post finds that job waiting (and so queues none), and is held before
        # it commits, while the job runs.
        bus.armed = True
        second_task = asyncio.create_task(runtime.microblog.create_post(author, "second", None))
        await asyncio.wait_for(bus.reached.wait(), 10)
        assert scalar(url, UNFINISHED) == 1
        draining = asyncio.create_task(runtime.drain())
        # The job fans the first post out, finds nothing else committed, and waits for the
        # post in flight before it stops.
        waits = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        try:
            await until(lambda: scalar(url, waits) == 1, 10, "the job waits for the post")
        finally:
            bus.release.set()
        second = await asyncio.wait_for(second_task, 10)
        await asyncio.wait_for(draining, 30)
        assert scalar(url, WAITING) == 0
        assert scalar(url, UNFINISHED) == 0
        await assert_fanned_out_once(runtime, net, [first.id, second.id])
        # Said on the live bus after the fan-outs committed.
        told = [i for m in bus.said if m["kind"] == "posts" for i in m["ids"]]
        assert sorted(told) == [first.id, second.id]


async def test_a_post_that_found_its_job_waiting_wakes_the_workers_again(
    settings: Settings,
) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=3, small=1, celebrities=0)
        await runtime.microblog.create_post(net.small[0], "first", None)  # its job waits
        (channel,) = get_channel_for_queues([FANOUT_QUEUE])
        with psycopg.connect(url, autocommit=True) as listener:
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            await runtime.microblog.create_post(net.small[0], "second", None)
            heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
        # No second job, but the wake-up a worker may have missed is said again.
        assert scalar(url, UNFINISHED) == 1
        assert [json.loads(payload)["type"] for payload in heard] == ["job_inserted"]


async def test_one_job_waits_per_queue_and_each_post_in_its_own(settings: Settings) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=LARGE, small=2, celebrities=1)
        posts = await write(runtime, net.authors, 12, "burst")
        queued = rows(
            url,
            "SELECT queue_name, args->>'large', status::text FROM procrastinate_jobs "
            "WHERE task_name = 'microblog:fan_out' ORDER BY 1",
        )
        assert queued == [
            (FANOUT_QUEUE, "false", "todo"),
            (FANOUT_LARGE_QUEUE, "true", "todo"),
        ]
        large = rows(
            url,
            "SELECT p.author_id, o.large FROM feed_outbox o JOIN posts p ON p.id = o.post_id",
        )
        assert len(large) == len(posts)
        assert all(flag == (who in net.celebrities) for who, flag in large)
        await runtime.drain()
        assert scalar(url, WAITING) == 0
        await assert_fanned_out_once(runtime, net, posts)


async def test_posts_left_by_a_failed_job_get_a_job_from_maintenance(settings: Settings) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=3, small=1, celebrities=0)
        post = await runtime.microblog.create_post(net.small[0], "orphan", None)
        with psycopg.connect(url) as conn:  # as if its job had failed
            conn.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE status = 'todo'")
        await runtime.drain()
        assert scalar(url, WAITING) == 1
        await runtime.engine.maintain()
        await runtime.drain()
        assert scalar(url, WAITING) == 0
        await assert_fanned_out_once(runtime, net, [post.id])


async def test_a_dead_workers_job_gives_way_to_the_one_waiting(settings: Settings) -> None:
    fleet = fleet_settings(settings)
    url = fleet.database_url
    async with open_test_runtime(fleet) as runtime:
        net = await network(runtime, readers=3, small=1, celebrities=0)
        first = await runtime.microblog.create_post(net.small[0], "first", None)
        manager = runtime.queue.job_manager
        # A worker takes the job, then stops answering (its heartbeat an hour old).
        dead = await manager.register_worker()
        job = await manager.fetch_job([FANOUT_QUEUE], dead)
        assert job is not None
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
                "WHERE id = %s",
                (dead,),
            )
        second = await runtime.microblog.create_post(net.small[0], "second", None)
        # The queue has a job waiting again: the dead one's goes, that one does its work.
        assert await retry_stalled_jobs(runtime.queue, 30) == 0
        remaining = rows(url, "SELECT id, status::text FROM procrastinate_jobs")
        assert [status for _, status in remaining] == ["todo"]
        assert job.id not in [job_id for job_id, _ in remaining]
        await runtime.drain()
        assert scalar(url, WAITING) == 0
        await assert_fanned_out_once(runtime, net, [first.id, second.id])


# The command line ----------------------------------------------------------------------


def test_worker_queues_are_checked_and_grouped() -> None:
    assert parse_queues("fanout_large, default,fanout_large") == ["fanout_large", "default"]
    assert worker_groups(None) == [["default", "fanout"], ["fanout_large"]]
    assert worker_groups(["fanout"]) == [["fanout"]]
    result = CliRunner().invoke(main, ["worker", "--queues", "fanout,slow"])
    assert result.exit_code == 2
    assert "unknown queue slow" in result.output
