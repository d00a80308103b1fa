"""The queue's tasks. Each one takes the worker's feed engine from the job context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import JobContext, exceptions, jobs

from microblog.domain import schedule
from microblog.settings import Settings

if TYPE_CHECKING:
    from microblog.feeds.engine import FeedEngine

log = logging.getLogger(__name__)
# Fan-out and cleanup must eventually happen: retry for about an hour, backing off.
RETRY = procrastinate.RetryStrategy(max_attempts=20, wait=1, exponential_wait=2)
# Workers send a heartbeat every 10 s (MICROBLOG_WORKER_HEARTBEAT_SECONDS); one silent for
# 30 s is taken for dead. The worker's context says its own (``worker_context``).
STALLED_WORKER_SECONDS = 30.0


def engine_of(context: JobContext) -> FeedEngine:
    """The feed engine the worker was started with."""
    engine: FeedEngine = context.additional_context["engine"]
    return engine


async def fan_out(context: JobContext, large: bool) -> None:
    """Fan the posts waiting in the outbox's queue out (push strategies) and drop their
    followers' cached first pages, batch after batch until none is left (or the next job
    goes on). No retry: its work is the outbox's, so the next job of the queue (a new post's,
    or the maintenance pass's) takes what a failed one left."""
    await engine_of(context).drain_posts(large)


async def post_published(context: JobContext, post_ids: list[int]) -> None:
    """The fan-out job queued before the outbox had queues (one per post): its posts and a
    batch of others."""
    await engine_of(context).process_posts(post_ids)


async def post_deleted(context: JobContext, post_id: int, author_id: int) -> None:
    """Remove a deleted post from the feeds that hold it and from cached pages."""
    await engine_of(context).process_deleted(post_id, author_id)


async def account_deleted(context: JobContext, user_id: int) -> None:
    """Finish a deleted account's removal from every strategy's state (one job per account,
    however many posts and followers it had)."""
    await engine_of(context).process_account_deleted(user_id)


async def build_feed(context: JobContext, strategy: str, reader_id: int) -> None:
    """Build a reader's precomputed feed (first read, or a returning reader)."""
    await engine_of(context).build(strategy, reader_id)


async def warm_feed(context: JobContext, strategy: str, reader_id: int) -> None:
    """The former name of ``build_feed``, for jobs queued before an upgrade."""
    await build_feed(context, strategy, reader_id)


async def maintain_feeds(context: JobContext, timestamp: int) -> None:
    """Periodic upkeep of every maintained strategy, and retry of jobs of dead workers."""
    await engine_of(context).maintain()
    stalled = float(context.additional_context.get("stalled_seconds", STALLED_WORKER_SECONDS))
    await retry_stalled_jobs(context.app, stalled)


async def retry_stalled_jobs(app: procrastinate.App, seconds_since_heartbeat: float) -> int:
    """Put back in the queue the jobs of workers silent for that long (killed mid-job).

    A fan-out job is not put back when its queue has one waiting to start already (the
    queue holds one at most): that one takes the posts the dead one left in the outbox,
    and the dead one's row goes."""
    manager = app.job_manager
    retried = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat):
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            log.warning(
                "job %s of a worker that stopped answering: the next takes its work", job.id
            )
            await manager.finish_job(job, jobs.Status.FAILED, delete_job=True)
            continue
        log.warning("retrying job %s of a worker that stopped answering", job.id)
        retried += 1
    return retried


def make_blueprint() -> procrastinate.Blueprint:
    """The tasks, on a new blueprint (a blueprint can join only one app)."""
    blueprint = procrastinate.Blueprint()
    for func in (post_published, post_deleted, account_deleted, build_feed, warm_feed):
        blueprint.task(name=func.__name__, pass_context=True, retry=RETRY)(func)
    # The queue is given when it is deferred (fanout or fanout_large: ``QueueJobs``).
    blueprint.task(name="fan_out", pass_context=True)(fan_out)
    blueprint.task(name="maintain_feeds", pass_context=True, queueing_lock="maintain_feeds")(
        maintain_feeds
    )
    return blueprint


def add_periodic(app: procrastinate.App, settings: Settings) -> None:
    """Schedule the maintenance task at the configured pace."""
    cron = schedule.cron_for(settings.maintenance_seconds)  # the settings refused the others
    app.periodic(cron=cron, periodic_id="maintain")(app.tasks["microblog:maintain_feeds"])


def worker_context(
    engine: FeedEngine, stalled_seconds: float = STALLED_WORKER_SECONDS
) -> dict[str, Any]:
    """What ``run_worker_async(additional_context=...)`` must get: the engine, and how long
    a worker must have been silent to be taken for dead."""
    return {"engine": engine, "stalled_seconds": stalled_seconds}
