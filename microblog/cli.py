"""The ``microblog`` command: a thin shell over the library."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from microblog.settings import Settings, SettingsError

F = TypeVar("F", bound=Callable[..., Any])


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
    from microblog.jobs.worker import run_worker

    settings = _settings()
    _require_migrated(settings)
    asyncio.run(run_worker(settings, concurrency))


@main.command()
def migrate() -> None:
    """Apply the database migrations (creates nothing else)."""
    from microblog.store import migrate as migrations

    settings = _settings()
    migrations.upgrade(settings.database_url)
    click.echo(f"database is at revision {migrations.head_revision()}")


@main.command()
@click.option("--users", default=1000, show_default=True, type=click.IntRange(0))
@click.option("--posts", default=50_000, show_default=True, type=click.IntRange(0))
@click.option(
    "--follows-per-user",
    default=100,
    show_default=True,
    type=click.IntRange(0),
    help="Average number of accounts each user follows.",
)
@click.option("--seed", "seed_value", default=1, show_default=True, type=int)
@click.option(
    "--shape",
    type=click.Choice(["uniform", "social"]),
    default="uniform",
    show_default=True,
    help="uniform: the seed document's network; social: heavy-tailed (stars, long tails).",
)
@click.option("--password", default="password123", show_default=True, help="Every user's.")
@click.option("--force", is_flag=True, help="Wipe users, posts, follows and API tokens first.")
def seed(
    users: int,
    posts: int,
    follows_per_user: int,
    seed_value: int,
    shape: str,
    password: str,
    force: bool,
) -> None:
    """Fill the database with generated users, posts and follows (the same for the same seed)."""
    from rich.console import Console

    from microblog.seeding import SeedPlan
    from microblog.store import seed as seeder

    settings = _settings()
    _require_migrated(settings)
    try:
        plan = SeedPlan(users, posts, follows_per_user, seed_value, shape)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    console = Console(stderr=True)
    console.print(
        f"seeding {users:,} users, {posts:,} posts, ~{follows_per_user:,} follows per user "
        f"(seed {seed_value})"
    )
    try:
        with seeder.RichReporter(console) as reporter:
            report = seeder.seed(
                settings.database_url, plan, password, force=force, reporter=reporter
            )
    except seeder.SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"seeded {report.users:,} users, {report.posts:,} posts and {report.follows:,} follows "
        f"in {report.seconds:.1f} s"
    )
    if users:
        click.echo(f"log in as user1 (or any user1..user{users}) with password {password}")


@main.group()
def feeds() -> None:
    """Build and check the feed strategies' state."""


def _strategy_option(default_help: str) -> Callable[[F], F]:
    from microblog.feeds import available

    return click.option(
        "--strategy", type=click.Choice(available()), default=None, help=default_help
    )


@feeds.command()
@_strategy_option("Strategy to build (default: the serving one).")
@click.option("--user", "username", default=None, help="Only this user's feed.")
@click.option("--force", is_flag=True, help="Rebuild feeds that are already built.")
def rebuild(strategy: str | None, username: str | None, force: bool) -> None:
    """Backfill a strategy's feeds from existing posts and follows (resumable, in batches)."""
    from microblog.feeds.ops import run_rebuild

    settings = _settings()
    _require_migrated(settings)
    try:
        built = asyncio.run(run_rebuild(settings, strategy, username, force))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"built {built} feed(s)")


@feeds.command()
@_strategy_option("Strategy to compare with pull (default: the serving one).")
@click.option("--sample", default=100, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int)
def verify(strategy: str | None, sample: int, seed_value: int) -> None:
    """Compare a strategy's pages with pull's for sampled readers, modes and cursors."""
    from microblog.feeds.ops import run_verify

    settings = _settings()
    _require_migrated(settings)
    report = asyncio.run(run_verify(settings, strategy, sample, seed_value))
    for mismatch in report.mismatches:
        click.echo(f"MISMATCH {mismatch}")
    click.echo(
        f"{report.readers} readers, {report.pages} pages compared, "
        f"{len(report.mismatches)} mismatches"
    )
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["seed", "social", "small"]),
    default="small",
    show_default=True,
)
@click.option("--strategies", default="pull,fanout,matview,hybrid", show_default=True)
@click.option(
    "--cache",
    "caches",
    default="off,on",
    show_default=True,
    help="Measure each strategy with the Redis cache off, on, or both.",
)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--no-http", is_flag=True, help="Skip the figures that need wrk and a server.")
def bench(profile_name: str, strategies: str, caches: str, out_dir: str, no_http: bool) -> None:
    """Measure every strategy on a generated data set; write JSON, Markdown and plots."""
    from pathlib import Path

    from rich.console import Console

    from microblog.bench.profiles import PROFILES
    from microblog.bench.run import Options, run
    from microblog.feeds import available

    names = tuple(n.strip() for n in strategies.split(",") if n.strip())
    unknown = [n for n in names if n not in available()]
    if unknown or not names:
        raise click.ClickException(f"unknown strategies: {', '.join(unknown) or '(none)'}")
    cache_map = {"off": False, "on": True}
    chosen = [c.strip() for c in caches.split(",") if c.strip()]
    if not chosen or any(c not in cache_map for c in chosen):
        raise click.ClickException("--cache takes off, on or off,on")
    settings = _settings()
    admin = settings.database_url.rpartition("/")[0] + "/postgres"
    options = Options(
        profile=PROFILES[profile_name],
        strategies=names,
        caches=tuple(cache_map[c] for c in chosen),
        admin_url=admin,
        redis_url=settings.redis_url,
        out_dir=Path(out_dir),
        http=not no_http,
    )
    results = run(options, Console(stderr=True))
    wrong = sum(f.get("mismatches") or 0 for f in results["strategies"].values())
    click.echo(f"wrote {out_dir}/{profile_name}.json, .md and plots; {wrong} mismatches")
    if wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
