"""Faults: a worker killed mid fan-out, Redis going away and coming back, a fan-out job run
twice, and a delete racing its own fan-out."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.jobs.tasks import retry_stalled_jobs
from microblog.settings import Settings
from tests.conftest import Runtime, open_test_runtime

FANOUT = {"feed_strategy": "fanout"}


def count(url: str, sql: str, *params: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


async def network(runtime: Runtime, url: str, followers: int) -> tuple[int, list[int]]:
    """An author and followers who have read their feeds once (so they are pushed)."""
    with psycopg.connect(url) as conn:
        ids = [
            conn.execute(
                "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                (f"f{i}",),
            ).fetchone()[0]  # type: ignore[index]
            for i in range(followers + 1)
        ]
    author, fans = ids[0], ids[1:]
    for fan in fans:
        await runtime.microblog.follow(fan, author)
        await runtime.microblog.feed(fan, FeedMode.TIMELINE, Window(), 5)
    await runtime.drain()
    return author, fans


async def first_page(runtime: Runtime, reader: int) -> list[int]:
    page = await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 20)
    return [p.id for p in page.posts]


async def test_a_fanout_job_run_twice_writes_nothing_twice(settings: Settings) -> None:
    async with open_test_runtime(settings.replace(**FANOUT)) as runtime:
        author, fans = await network(runtime, settings.database_url, 5)
        post = await runtime.microblog.create_post(author, "once", None)
        await runtime.engine.process_posts([post.id])
        await runtime.engine.process_posts([post.id])
        await runtime.drain()  # and the queued job a third time
        entries = count(
            settings.database_url, "SELECT count(*) FROM feed_entries WHERE post_id = %s", post.id
        )
        assert entries == len(fans)
        for fan in fans:
            assert (await first_page(runtime, fan)).count(post.id) == 1


async def test_a_delete_racing_its_fanout_stays_deleted(settings: Settings) -> None:
    async with open_test_runtime(settings.replace(**FANOUT)) as runtime:
        author, fans = await network(runtime, settings.database_url, 8)
        for _ in range(5):
            post = await runtime.microblog.create_post(author, "regret", None)
            await asyncio.gather(
                runtime.engine.process_posts([post.id]),
                runtime.microblog.delete_post(author, post.id),
            )
            await runtime.drain()
            left = count(
                settings.database_url,
                "SELECT count(*) FROM feed_entries WHERE post_id = %s",
                post.id,
            )
            assert left == 0
            for fan in fans:
                assert post.id not in await first_page(runtime, fan)


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MICROBLOG_DATABASE_URL": settings.database_url,
        "MICROBLOG_FEED_STRATEGY": "fanout",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "microblog.cli", "worker", "--concurrency", "1"], env=env
    )


async def test_a_worker_killed_mid_fanout_loses_and_duplicates_nothing(
    settings: Settings,
) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(**FANOUT)) as runtime:
        author, fans = await network(runtime, url, 6)
        post = await runtime.microblog.create_post(author, "survive", None)
        # Hold the author's fan-out lock so the worker is stuck inside the job, then kill it.
        with psycopg.connect(url) as blocker:
            blocker.execute("SELECT pg_advisory_lock(%s)", (author,))
            worker = _worker(settings)
            try:
                deadline = time.monotonic() + 30
                while (
                    count(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
                    == 0
                ):
                    assert time.monotonic() < deadline, "the worker never took the job"
                    await asyncio.sleep(0.1)
            finally:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
            blocker.execute("SELECT pg_advisory_unlock(%s)", (author,))
        assert count(url, "SELECT count(*) FROM feed_entries WHERE post_id = %s", post.id) == 0
        await asyncio.sleep(1.5)  # the dead worker's heartbeat grows old
        assert await retry_stalled_jobs(runtime.queue, seconds_since_heartbeat=1) == 1
        await runtime.drain()
        assert count(url, "SELECT count(*) FROM feed_entries WHERE post_id = %s", post.id) == len(
            fans
        )
        assert (
            count(url, "SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'") == 0
        )
        for fan in fans:
            assert (await first_page(runtime, fan)).count(post.id) == 1


@pytest.fixture
def private_redis() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A Redis of the test's own on a free loopback port, which the test may stop."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for this test"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    procs: list[subprocess.Popen[bytes]] = []
    yield port, procs
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def start_redis(port: int, procs: list[subprocess.Popen[bytes]]) -> None:
    procs.append(
        subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.mark.parametrize("strategy", ["pull", "fanout"])
async def test_redis_stopped_and_restarted_answers_stay_correct(
    settings: Settings,
    private_redis: tuple[int, list[subprocess.Popen[bytes]]],
    strategy: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port, procs = private_redis
    start_redis(port, procs)
    cached = settings.replace(
        feed_strategy=strategy, feed_cache="redis", redis_url=f"redis://127.0.0.1:{port}/0"
    )
    async with open_test_runtime(cached) as runtime:
        author, fans = await network(runtime, settings.database_url, 3)
        reader = fans[0]
        before = await first_page(runtime, reader)  # cached now

        procs[0].kill()
        procs[0].wait(timeout=10)
        during = await runtime.microblog.create_post(author, "while redis is down", None)
        await runtime.drain()
        assert (await first_page(runtime, reader))[0] == during.id
        outages = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(outages) == 1, "the outage is logged once"

        start_redis(port, procs)
        await asyncio.sleep(1.1)  # past the retry pause
        after = await runtime.microblog.create_post(author, "redis is back", None)
        await runtime.drain()
        page = await first_page(runtime, reader)
        assert page[:2] == [after.id, during.id]
        assert page[2:] == before[: len(page) - 2]
        assert any("Redis is back" in r.getMessage() for r in caplog.records)
