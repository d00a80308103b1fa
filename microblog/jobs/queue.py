"""The procrastinate app: one queue in the microblog's own database."""

from __future__ import annotations

import procrastinate

from microblog.settings import Settings


def make_queue(settings: Settings) -> procrastinate.App:
    """A procrastinate app on the microblog database, with every task module imported."""
    connector = procrastinate.PsycopgConnector(conninfo=settings.database_url)
    return procrastinate.App(connector=connector, import_paths=["microblog.jobs.tasks"])
