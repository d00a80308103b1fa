"""The procrastinate app (one queue in the microblog's own database) and the feed engine's
jobs on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import procrastinate
from procrastinate import exceptions

from microblog.domain.types import Conn
from microblog.settings import Settings


def make_queue(settings: Settings) -> procrastinate.App:
    """A procrastinate app on the microblog database with the microblog's tasks on it."""
    from microblog.jobs import tasks

    connector = procrastinate.PsycopgConnector(conninfo=settings.database_url)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks.make_blueprint(), namespace="microblog")
    tasks.add_periodic(app, settings)
    return app


class QueueJobs:
    """The feed engine's ``FeedJobs``, queued as procrastinate jobs."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def posts_published(self, conn: Conn, post_ids: Sequence[int]) -> None:
        """Queue fan-out and cache invalidation of posts in the outbox."""
        await self._defer(conn, "post_published", None, post_ids=list(post_ids))

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

    async def _defer(self, conn: Conn, task: str, lock: str | None, **kwargs: Any) -> None:
        deferrer = self.app.configure_task(
            name=f"microblog:{task}", connection=conn, queueing_lock=lock
        )
        if lock is None:
            await deferrer.defer_async(**kwargs)
            return
        try:
            # A savepoint, so that an already-queued job does not abort the caller's work.
            async with conn.transaction():
                await deferrer.defer_async(**kwargs)
        except exceptions.AlreadyEnqueued:
            pass
