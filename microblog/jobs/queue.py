"""The procrastinate app (in the microblog's own database), its queues, the feed engine's
jobs on them, and the workers that run them.

Three queues: ``fanout`` and ``fanout_large`` hold the fan-out jobs of ordinary authors'
posts and of authors with many followers (``MICROBLOG_FANOUT_LARGE_FOLLOWERS``), ``default``
every other job. A worker that serves ``fanout_large`` and others runs it on slots of its
own, so that a celebrity's fan-out never holds up everyone else's.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Sequence
from typing import Any

import procrastinate
from procrastinate import exceptions, manager

from microblog.domain.types import Conn
from microblog.settings import Settings
from microblog.store import outbox

DEFAULT_QUEUE = "default"
FANOUT_QUEUE = "fanout"
FANOUT_LARGE_QUEUE = "fanout_large"
QUEUES = (DEFAULT_QUEUE, FANOUT_QUEUE, FANOUT_LARGE_QUEUE)
# A worker silent for this many heartbeats is taken for dead.
STALLED_HEARTBEATS = 3
# Seconds between a worker's looks for jobs when no wake-up came (procrastinate's default is
# 5): the backstop for a wake-up lost while a fetch was in flight.
POLL_SECONDS = 1.0
# What a job's insert says to the workers listening (procrastinate's ``job_inserted``).
WAKE_UP = json.dumps({"type": "job_inserted", "job_id": None})


def make_queue(settings: Settings) -> procrastinate.App:
    """A procrastinate app on the microblog database with the microblog's tasks on it."""
    from microblog.jobs import tasks

    # Straight to the primary, never through PgBouncer: the worker LISTENs for new jobs,
    # and procrastinate's connections prepare their statements.
    connector = procrastinate.PsycopgConnector(conninfo=settings.direct_url)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks.make_blueprint(), namespace="microblog")
    tasks.add_periodic(app, settings)
    return app


def fanout_queue(large: bool) -> str:
    """The queue of the fan-out jobs of the outbox's large queue, or of its other one."""
    return FANOUT_LARGE_QUEUE if large else FANOUT_QUEUE


def parse_queues(text: str) -> list[str]:
    """Comma-separated queue names, each one of ``QUEUES`` (``ValueError`` otherwise)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise ValueError(
            f"unknown queue {', '.join(unknown) or '(none given)'}: the queues are "
            f"{', '.join(QUEUES)}"
        )
    return list(dict.fromkeys(names))


def worker_groups(queues: Sequence[str] | None) -> list[list[str]]:
    """The queues a worker serves, split into the groups that get slots of their own:
    ``fanout_large`` apart from the others, so that its long jobs can take every slot of
    their group and none of the others'."""
    served = list(queues) if queues else list(QUEUES)
    large = [q for q in served if q == FANOUT_LARGE_QUEUE]
    rest = [q for q in served if q != FANOUT_LARGE_QUEUE]
    return [group for group in (rest, large) if group]


class QueueJobs:
    """The feed engine's ``FeedJobs``, queued as procrastinate jobs."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def posts_published(self, conn: Conn, large: bool, hold: bool = False) -> None:
        """A fan-out job on the queue's own job queue, unless one is waiting to start (a
        queue has at most one: it takes every post waiting when it runs). With ``hold``,
        the post's share of the queue's lock, the look for a waiting job and the wake-up
        go in one round trip (``outbox.hold_and_wake``); a job is queued only when none
        was waiting."""
        queue = fanout_queue(large)
        lock = f"fan_out:{queue}"
        # Say it again when one waits: its wake-up may have been missed (see outbox_wake).
        channels = [*manager.get_channel_for_queues([queue]), *manager.get_channel_for_queues()]
        if hold and await outbox.hold_and_wake(conn, large, lock, channels, WAKE_UP):
            return
        if await self._defer(conn, "fan_out", lock, queue=queue, large=large):
            await outbox.wake(conn, channels, WAKE_UP)

    async def post_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Queue the removal of a deleted post."""
        await self._defer(conn, "post_deleted", None, post_id=post_id, author_id=author_id)

    async def build_feed(self, conn: Conn, strategy: str, reader_id: int) -> None:
        """Queue the build of one reader's feed; a build already waiting is not queued twice."""
        lock = f"build:{strategy}:{reader_id}"
        await self._defer(conn, "build_feed", lock, strategy=strategy, reader_id=reader_id)

    async def account_deleted(self, conn: Conn, user_id: int) -> None:
        """Queue what is left of an account's removal once its deletion commits."""
        await self._defer(conn, "account_deleted", None, user_id=user_id)

    async def _defer(
        self,
        conn: Conn,
        task: str,
        lock: str | None,
        queue: str = DEFAULT_QUEUE,
        **kwargs: Any,
    ) -> bool:
        """Queue the job; False, or True when one with the same lock was waiting already."""
        deferrer = self.app.configure_task(
            name=f"microblog:{task}", connection=conn, queueing_lock=lock, queue=queue
        )
        if lock is None:
            await deferrer.defer_async(**kwargs)
            return False
        try:
            # A savepoint, so that an already-queued job does not abort the caller's work.
            async with conn.transaction():
                await deferrer.defer_async(**kwargs)
        except exceptions.AlreadyEnqueued:
            return True
        return False


async def run_workers(
    app: procrastinate.App,
    context: dict[str, Any],
    queues: Sequence[str] | None = None,
    concurrency: int = 1,
    wait: bool = True,
    delete_jobs: str = "successful",
    signals: bool = False,
    heartbeat_seconds: float = 10.0,
) -> None:
    """Run the queues' jobs (every queue for None) until stopped, or with ``wait=False``
    until none is left: one procrastinate worker per group of ``worker_groups``, each with
    ``concurrency`` slots. ``signals``: SIGINT and SIGTERM stop them gracefully (the jobs
    running finish first)."""
    groups = worker_groups(queues)
    tasks = [
        asyncio.create_task(
            app.run_worker_async(
                queues=group,
                name=f"worker[{','.join(group)}]",
                concurrency=concurrency,
                wait=wait,
                install_signal_handlers=False,
                additional_context=context,
                delete_jobs=delete_jobs,
                fetch_job_polling_interval=POLL_SECONDS,
                update_heartbeat_interval=heartbeat_seconds,
                stalled_worker_timeout=heartbeat_seconds * STALLED_HEARTBEATS,
            ),
            name=f"jobs {','.join(group)}",
        )
        for group in groups
    ]
    stopping = False

    def stop() -> None:
        """Cancel each worker once: a cancelled procrastinate worker stops gracefully (its
        running jobs finish, it unregisters); a second cancel would cut that short."""
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for task in tasks:
            task.cancel()

    loop = asyncio.get_running_loop()
    if signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
    try:
        # Until every worker is done (stopped, or out of jobs), or one of them failed.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        if signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        stop()  # the others, when one failed or this was cancelled
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error
