"""The queue's tasks. Each one takes the worker's feed engine from the job context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import JobContext

from microblog.domain import schedule
from microblog.settings import Settings

if TYPE_CHECKING:
    from microblog.feeds.engine import FeedEngine

log = logging.getLogger(__name__)
# Fan-out and cleanup must eventually happen: retry for about an hour, backing off.
RETRY = procrastinate.RetryStrategy(max_attempts=20, wait=1, exponential_wait=2)
# Workers send a heartbeat every 10 s; one silent for 30 s is taken for dead.
STALLED_WORKER_SECONDS = 30.0


def engine_of(context: JobContext) -> FeedEngine:
    """The feed engine the worker was started with."""
    engine: FeedEngine = context.additional_context["engine"]
    return engine


async def post_published(context: JobContext, post_ids: list[int]) -> None:
    """Fan new posts out (push strategies) and drop their followers' cached first pages."""
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
    await retry_stalled_jobs(context.app, STALLED_WORKER_SECONDS)


async def retry_stalled_jobs(app: procrastinate.App, seconds_since_heartbeat: float) -> int:
    """Put back in the queue the jobs of workers silent for that long (killed mid-job)."""
    manager = app.job_manager
    retried = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat):
        log.warning("retrying job %s of a worker that stopped answering", job.id)
        await manager.retry_job(job)
        retried += 1
    return retried


def make_blueprint() -> procrastinate.Blueprint:
    """The tasks, on a new blueprint (a blueprint can join only one app)."""
    blueprint = procrastinate.Blueprint()
    for func in (post_published, post_deleted, account_deleted, build_feed, warm_feed):
        blueprint.task(name=func.__name__, pass_context=True, retry=RETRY)(func)
    blueprint.task(name="maintain_feeds", pass_context=True, queueing_lock="maintain_feeds")(
        maintain_feeds
    )
    return blueprint


def add_periodic(app: procrastinate.App, settings: Settings) -> None:
    """Schedule the maintenance task at the configured pace."""
    cron = schedule.cron_for(settings.maintenance_seconds)  # the settings refused the others
    app.periodic(cron=cron, periodic_id="maintain")(app.tasks["microblog:maintain_feeds"])


def worker_context(engine: FeedEngine) -> dict[str, Any]:
    """What ``run_worker_async(additional_context=...)`` must get."""
    return {"engine": engine}
