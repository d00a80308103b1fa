"""The ``microblog`` command: a thin shell over the library."""

from __future__ import annotations

import asyncio
import os

import click

from microblog.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _require_migrated(settings: Settings) -> None:
    from microblog.store import migrate

    try:
        current = migrate.current_revision(settings.database_url)
    except Exception as exc:  # psycopg.OperationalError and friends: say it plainly
        raise click.ClickException(f"cannot reach the database: {exc}".strip()) from exc
    if current != migrate.head_revision():
        state = "has never been migrated" if current is None else f"is at revision {current}"
        raise click.ClickException(
            f"the database {state}; the code needs {migrate.head_revision()}. "
            "Run `microblog migrate` first."
        )


@click.group()
def main() -> None:
    """A microblog server whose home timeline is served by interchangeable feed strategies."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--no-worker", is_flag=True, help="Do not run a job worker inside the server.")
def serve(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the pages and the API (and run the job queue unless --no-worker)."""
    import uvicorn

    settings = _settings()
    try:
        settings.check_for_serving()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    _require_migrated(settings)
    # The server processes read their settings from the environment they inherit.
    os.environ["MICROBLOG_RUN_WORKER"] = "0" if no_worker else "1"
    click.echo(f"microblog serving on http://{host}:{port} ({workers} worker processes)")
    uvicorn.run(
        "microblog.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64))
def worker(concurrency: int) -> None:
    """Run the job queue worker until interrupted."""
    from microblog.jobs.queue import make_queue

    settings = _settings()
    _require_migrated(settings)
    queue = make_queue(settings)

    async def run() -> None:
        async with queue.open_async():
            await queue.run_worker_async(concurrency=concurrency, install_signal_handlers=True)

    asyncio.run(run())


@main.command()
def migrate() -> None:
    """Apply the database migrations (creates nothing else)."""
    from microblog.store import migrate as migrations

    settings = _settings()
    migrations.upgrade(settings.database_url)
    click.echo(f"database is at revision {migrations.head_revision()}")


if __name__ == "__main__":
    main()
