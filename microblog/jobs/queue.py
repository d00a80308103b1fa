"""The procrastinate app: one queue in the microblog's own database."""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate import exceptions

from microblog.settings import Settings
from microblog.store.db import Conn


def make_queue(settings: Settings) -> procrastinate.App:
    """A procrastinate app on the microblog database with the microblog's tasks on it."""
    from microblog.jobs import tasks

    connector = procrastinate.PsycopgConnector(conninfo=settings.database_url)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks.make_blueprint(), namespace="microblog")
    tasks.add_periodic(app, settings)
    return app


class Jobs:
    """Defers the microblog's tasks by name."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def __call__(self, conn: Conn | None, task: str, **kwargs: object) -> None:
        """Defer ``microblog:<task>``; inside ``conn``'s transaction when given.

        A job with a queueing lock (``queueing_lock=...``) that is already waiting is not
        deferred twice.
        """
        lock = kwargs.pop("queueing_lock", None)
        task_kwargs: dict[str, Any] = dict(kwargs)
        deferrer = self.app.configure_task(
            name=f"microblog:{task}",
            connection=conn,
            queueing_lock=None if lock is None else str(lock),
        )
        try:
            if conn is None or lock is None:
                await deferrer.defer_async(**task_kwargs)
            else:
                # A savepoint, so that an already-queued job does not abort the caller.
                async with conn.transaction():
                    await deferrer.defer_async(**task_kwargs)
        except exceptions.AlreadyEnqueued:
            pass
