"""The ``microblog`` command: a thin shell over the library."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from microblog.settings import Settings, SettingsError, is_loopback

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from microblog.domain.models import User
    from microblog.seeding import SeedPlan

F = TypeVar("F", bound=Callable[..., Any])
# ``microblog serve --server``: the first is the default.
SERVERS = ("uvicorn", "granian")
APP_FACTORY = "microblog.app:app_from_env"
server_option = click.option(
    "--server",
    "server_name",
    type=click.Choice(SERVERS),
    default=SERVERS[0],
    show_default=True,
    envvar="MICROBLOG_SERVER",
    help="The ASGI server (docs/performance.md compares them).",
)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _require_migrated(settings: Settings) -> None:
    from microblog.store import migrate

    try:
        current = migrate.current_revision(settings.direct_url)
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
@server_option
def serve(host: str, port: int, workers: int, no_worker: bool, server_name: str) -> None:
    """Serve the pages and the API (and run the job queue unless --no-worker)."""
    settings = _settings()
    if settings.dev_mode and not is_loopback(host):
        raise click.ClickException(
            f"MICROBLOG_DEV_MODE serves on loopback only (its secret key is public): --host {host}"
        )
    if not settings.public_url:
        settings = settings.replace(public_url=_own_url(host, port))
    try:
        settings.check_for_serving()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    _require_migrated(settings)
    # The server processes read their settings from the environment they inherit.
    os.environ["MICROBLOG_RUN_WORKER"] = "0" if no_worker else "1"
    os.environ["MICROBLOG_PUBLIC_URL"] = settings.public_url
    click.echo(
        f"microblog serving on http://{host}:{port} ({workers} worker processes, {server_name})"
    )
    if server_name == "granian":
        _serve_granian(host, port, workers)
        return
    import uvicorn

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # The client address is the socket peer; X-Forwarded-For counts only from the
        # proxies of MICROBLOG_TRUSTED_PROXIES (uvicorn would believe any loopback peer).
        proxy_headers=False,
    )


def _serve_granian(host: str, port: int, workers: int) -> None:
    """The same app on granian (Rust's hyper for HTTP, the app on uvloop in each worker
    process): no access log, warnings only, one Rust runtime thread per worker."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    Granian(
        APP_FACTORY,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        loop=Loops.uvloop,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve()


def _own_url(host: str, port: int) -> str:
    """The URL of a server listening on ``host:port``; none for a wildcard address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name
        return f"http://{host}:{port}"
    if address.is_unspecified:
        raise click.ClickException(
            f"--host {host} listens on every address: set MICROBLOG_PUBLIC_URL to the URL users "
            "reach the server at"
        )
    return f"http://[{host}]:{port}" if address.version == 6 else f"http://{host}:{port}"


def _queues(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """The ``--queues`` of ``worker``: known queue names, or None for every queue."""
    from microblog.jobs.queue import parse_queues

    if value is None:
        return None
    try:
        return parse_queues(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@main.command()
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once, per group of queues (fanout_large has slots of its own).",
)
@click.option(
    "--queues",
    callback=_queues,
    metavar="NAMES",
    help="Comma-separated queues to serve: default, fanout, fanout_large (default: all).",
)
@click.option(
    "--delete-jobs",
    type=click.Choice(["successful", "never", "always"]),
    default="successful",
    show_default=True,
    help="Which finished jobs leave the job table (never: keep them all, for inspection).",
)
def worker(concurrency: int, queues: list[str] | None, delete_jobs: str) -> None:
    """Run the job queue worker until interrupted (SIGINT, SIGTERM: the jobs running finish).

    Several workers may serve the same queues, on as many machines as wanted: fan-out jobs
    take disjoint batches of posts. A worker of fanout_large alone keeps celebrities' fan-out
    apart; at least one worker must serve default (it runs the maintenance pass)."""
    from microblog.jobs.queue import worker_groups
    from microblog.runtime import open_runtime

    async def run() -> None:
        pool_max = concurrency * len(worker_groups(queues)) + 2
        async with open_runtime(settings, pool_max=pool_max) as runtime:
            await runtime.run_worker(
                concurrency=concurrency, signals=True, queues=queues, delete_jobs=delete_jobs
            )

    settings = _settings()
    _require_migrated(settings)
    asyncio.run(run())


@main.command()
def migrate() -> None:
    """Apply the database migrations (creates nothing else)."""
    from microblog.store import migrate as migrations

    settings = _settings()
    migrations.upgrade(settings.direct_url)
    click.echo(f"database is at revision {migrations.head_revision()}")


class ClickReporter:
    """The seeder's progress on stderr (a ``microblog.store.seed.Reporter``): a click progress
    bar while a phase with a known row count runs on a terminal, then one line per phase with
    its rows and duration."""

    def __init__(self) -> None:
        self._stream = sys.stderr
        self._bar: ProgressBar[int] | None = None
        self._name = ""
        self._rows = 0
        self._started = 0.0

    def phase(self, name: str, total: int | None = None) -> None:
        """Close the current phase's line and start the next (with a bar when total is known)."""
        self._close()
        self._name, self._rows, self._started = name, 0, time.perf_counter()
        if total:
            self._bar = click.progressbar(
                length=total,
                label=f"  {name:<16}",
                show_pos=True,
                file=self._stream,
                hidden=not self._stream.isatty(),
            )
            self._bar.__enter__()

    def advance(self, rows: int) -> None:
        """Rows written in the current phase."""
        self._rows += rows
        if self._bar is not None:
            self._bar.update(rows)

    def finish(self) -> None:
        """Close the last phase's line."""
        self._close()

    def _close(self) -> None:
        if not self._name:
            return
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        rows = f"{self._rows:>12,} rows" if self._rows else " " * 17
        elapsed = time.perf_counter() - self._started
        click.echo(f"  {self._name:<16}{rows}  {elapsed:8.1f} s", file=self._stream)
        self._name = ""


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
@click.option(
    "--demo",
    is_flag=True,
    help="Then bring it to the present as make run's demo: display names, recent dates and "
    "a few hours of conversations (docs/demo.md).",
)
def seed(
    users: int,
    posts: int,
    follows_per_user: int,
    seed_value: int,
    shape: str,
    password: str,
    force: bool,
    demo: bool,
) -> None:
    """Fill the database with generated users, posts and follows (the same for the same seed)."""
    from microblog.seeding import SeedPlan
    from microblog.store import seed as seeder

    settings = _settings()
    _require_migrated(settings)
    try:
        plan = SeedPlan(users, posts, follows_per_user, seed_value, shape)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"seeding {users:,} users, {posts:,} posts, ~{follows_per_user:,} follows per user "
        f"(seed {seed_value})",
        err=True,
    )
    reporter = ClickReporter()
    try:
        report = seeder.seed(settings.direct_url, plan, password, force=force, reporter=reporter)
    except seeder.SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"seeded {report.users:,} users, {report.posts:,} posts and {report.follows:,} follows "
        f"in {report.seconds:.1f} s"
    )
    if demo:
        _enliven(settings, plan)
    if users:
        click.echo(f"log in as user1 (or any user1..user{users}) with password {password}")


def _enliven(settings: Settings, plan: SeedPlan) -> None:
    """``seed --demo``: the seeded network brought to the present (microblog.demo)."""
    from microblog.demo import DemoError, enliven

    try:
        report = asyncio.run(enliven(settings, plan))
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"brought it to the present: {report.posts} recent posts, {report.boosts} boosts, "
        f"{report.favourites} favourites and {report.follows} follows in {report.seconds:.1f} s"
    )


@main.group()
def cluster() -> None:
    """The scaled-out topology, rehearsed on this machine (docs/scaling.md)."""


ROOT_OPTION = click.option(
    "--root",
    default=".data/cluster",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the servers keep their data and logs.",
)


@cluster.command("up")
@ROOT_OPTION
@click.option("--strategy", default="hybrid", show_default=True, help="The serving strategy.")
@click.option("--no-demo", is_flag=True, help="Start empty, without the demo network.")
def cluster_up(root: Path, strategy: str, no_demo: bool) -> None:
    """Start a primary and a streaming replica, PgBouncer, a Redis Cluster (3 masters, 3
    replicas), 2 web processes and 2 workers, all on loopback, with the demo network."""
    from microblog.cluster import rehearsal
    from microblog.cluster.procs import ClusterError

    plan = rehearsal.Plan(root=root, strategy=strategy, demo=not no_demo)
    try:
        state = rehearsal.up(plan, say=click.echo)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\nthe rehearsal runs:")
    for name, url in state.urls.items():
        click.echo(f"  {name:10} {url}")
    click.echo(f"  logs in {root}/logs; `source {root}/env.sh` points microblog commands at it")
    click.echo("  stop it with `make cluster-stop`")


@cluster.command("down")
@ROOT_OPTION
def cluster_down(root: Path) -> None:
    """Stop every process of the rehearsal."""
    from microblog.cluster import rehearsal

    if not rehearsal.down(root, say=click.echo):
        click.echo("nothing of the rehearsal runs")


@cluster.command("status")
@ROOT_OPTION
def cluster_status(root: Path) -> None:
    """Which processes of the rehearsal run."""
    from microblog.cluster import rehearsal

    names = rehearsal.running(root)
    click.echo(", ".join(names) if names else "nothing of the rehearsal runs")


@main.group()
def accounts() -> None:
    """Operate on accounts."""


@accounts.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_account(username: str, yes: bool) -> None:
    """Delete an account and everything in it for good: posts, follows, tokens, sessions and
    every feed's state about it (replies others wrote to its posts stay)."""
    from microblog.domain.errors import NotFound
    from microblog.runtime import open_runtime

    async def find() -> User:
        async with open_runtime(settings, pool_max=2) as runtime:
            return await runtime.microblog.user_named(username)

    async def remove(user_id: int) -> User:
        async with open_runtime(settings, pool_max=2) as runtime:
            return await runtime.microblog.remove_account(user_id)

    settings = _settings()
    _require_migrated(settings)
    try:
        user = asyncio.run(find())
        if not yes:
            click.confirm(
                f"Delete @{user.username} (id {user.id}: {user.posts_count} posts, "
                f"{user.followers_count} followers, following {user.following_count}) for good?",
                abort=True,
            )
        gone = asyncio.run(remove(user.id))
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"deleted @{gone.username} (id {gone.id}) with {gone.posts_count} posts and "
        f"{gone.followers_count + gone.following_count} follows; the job queue finishes "
        "removing it from feed state"
    )


@main.group()
def feeds() -> None:
    """Build and check the feed strategies' state."""


def _strategy_option(default_help: str) -> Callable[[F], F]:
    from microblog.feeds import available

    return click.option(
        "--strategy", type=click.Choice(available()), default=None, help=default_help
    )


def _progress_bars() -> tuple[Callable[[str, int], Callable[[int], None]], contextlib.ExitStack]:
    """A ``start(label, total)`` that opens a click progress bar on stderr, and the stack
    that closes it."""
    stack = contextlib.ExitStack()

    def start(label: str, total: int) -> Callable[[int], None]:
        bar = stack.enter_context(
            click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        )
        return bar.update

    return start, stack


@feeds.command()
@_strategy_option("Strategy to build (default: the serving one).")
@click.option("--user", "username", default=None, help="Only this user's feed.")
@click.option("--force", is_flag=True, help="Rebuild feeds that are already built.")
def rebuild(strategy: str | None, username: str | None, force: bool) -> None:
    """Build a strategy's feeds from existing posts and follows (resumable, in batches).

    Only that strategy's own state is built or replaced; other strategies' stay as they are.
    With --user, one reader's feed is repaired (for example after `feeds verify` reports drift).
    """
    from microblog.feed_tools import run_rebuild

    settings = _settings()
    _require_migrated(settings)
    start, bars = _progress_bars()
    try:
        with bars:
            result = asyncio.run(run_rebuild(settings, strategy, username, force, start))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(result))


@feeds.command()
@_strategy_option("Strategy to compare with pull (default: the serving one).")
@click.option("--sample", default=100, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int)
def verify(strategy: str | None, sample: int, seed_value: int) -> None:
    """Compare a strategy's pages with pull's for sampled readers, modes and cursors."""
    from microblog.feed_tools import run_verify

    settings = _settings()
    _require_migrated(settings)
    start, bars = _progress_bars()
    with bars:
        report = asyncio.run(run_verify(settings, strategy, sample, seed_value, start))
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
@server_option
@click.option(
    "--restart-postgres",
    default=None,
    metavar="COMMAND",
    help="A shell command that restarts PostgreSQL: measures the first page right after it "
    "(the cold figure). It stops every connection to that server: run nothing else on it.",
)
def bench(
    profile_name: str,
    strategies: str,
    caches: str,
    out_dir: str,
    no_http: bool,
    server_name: str,
    restart_postgres: str | None,
) -> None:
    """Measure every strategy on a generated data set; write JSON, Markdown and plots."""
    from importlib.util import find_spec
    from pathlib import Path

    if find_spec("rich") is None or find_spec("matplotlib") is None:
        raise click.ClickException(
            "the benchmark needs the bench extra: pip install 'microblog[bench]'"
        )
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
        restart_postgres=restart_postgres,
    )
    os.environ["MICROBLOG_SERVER"] = server_name  # the server processes inherit it
    results = run(options)
    wrong = sum(f.get("mismatches") or 0 for f in results["strategies"].values())
    click.echo(f"wrote {out_dir}/{profile_name}.json, .md and plots; {wrong} mismatches")
    if wrong:
        sys.exit(1)


@main.command("bench-scale")
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["seed", "social", "small"]),
    default="social",
    show_default=True,
)
@click.option("--sizes", default="1,3,10", show_default=True, help="Multiples of its size.")
@click.option("--strategies", default="pull,fanout,matview,hybrid", show_default=True)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
def bench_scale(profile_name: str, sizes: str, strategies: str, out_dir: str) -> None:
    """How cost grows: the profile at several sizes, per strategy (first-page p99, fan-out
    lag, feed state); writes scale.json, scale.md and scale.png."""
    from pathlib import Path

    from microblog.bench import scale
    from microblog.bench.profiles import PROFILES
    from microblog.feeds import available

    multiples = _numbers(sizes, "--sizes", 1, 100, "1,3,10")
    names = _names(strategies, available(), "--strategies")
    settings = _settings()
    admin = settings.database_url.rpartition("/")[0] + "/postgres"
    scale.run(PROFILES[profile_name], multiples, names, admin, settings.redis_url, Path(out_dir))
    click.echo(f"wrote {out_dir}/scale.json, scale.md and scale.png")


# --- bench-fleet (the worker fleet's fan-out) ---------------------------------------------


def _worker_counts(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """The ``--workers`` of ``bench-fleet``: comma-separated fleet sizes, 1 to 16."""
    try:
        counts = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: comma-separated numbers, e.g. 1,2") from exc
    if not counts or any(not 1 <= n <= 16 for n in counts):
        raise click.BadParameter(f"{value!r}: fleet sizes from 1 to 16, e.g. 1,2")
    return counts


@main.command("bench-fleet")
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["seed", "social", "small"]),
    default="small",
    show_default=True,
    help="The bench database to write into (microblog_bench_<profile>, made if missing).",
)
@click.option(
    "--workers",
    default="1,2",
    show_default=True,
    callback=_worker_counts,
    help="Fleet sizes to measure, in turn: worker processes.",
)
@click.option("--posts", default=2000, show_default=True, type=click.IntRange(10, 1_000_000))
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Each worker's --concurrency.",
)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
def bench_fleet(
    profile_name: str, workers: tuple[int, ...], posts: int, concurrency: int, out_dir: str
) -> None:
    """Fan-out throughput and commit-to-fan-out lag of 1, 2, … `microblog worker` processes,
    to fleet-<profile>.md and .json."""
    from importlib.util import find_spec
    from pathlib import Path

    if find_spec("rich") is None:
        raise click.ClickException(
            "the benchmark needs the bench extra: pip install 'microblog[bench]'"
        )
    from microblog.bench.fleet import Options, run_fleet
    from microblog.bench.profiles import PROFILES

    settings = _settings()
    options = Options(
        profile=PROFILES[profile_name],
        admin_url=settings.database_url.rpartition("/")[0] + "/postgres",
        redis_url=settings.redis_url,
        workers=workers,
        posts=posts,
        out_dir=Path(out_dir),
        concurrency=concurrency,
    )
    results = run_fleet(options)
    for run in results["runs"]:
        steady = run["steady"]
        click.echo(
            f"{run['workers']} worker(s): backlog {run['backlog']['entries_per_s']:,.0f} "
            f"entries/s; steady {steady['entries_per_s']:,.0f} entries/s, lag p50 "
            f"{steady['lag_ms']['p50']} ms p99 {steady['lag_ms']['p99']} ms"
        )
    click.echo(f"wrote {out_dir}/fleet-{profile_name}.json and .md")


# --- bench-stream (the streaming figure) ---------------------------------------------------
def _names(value: str, allowed: list[str], option: str) -> tuple[str, ...]:
    """A comma-separated list of names, each one of ``allowed``."""
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise click.ClickException(
            f"{option}: unknown {', '.join(unknown) or '(none given)'}; one or more of "
            f"{', '.join(allowed)}"
        )
    return names


def _numbers(value: str, option: str, low: int, high: int, example: str) -> tuple[int, ...]:
    """Comma-separated whole numbers, each from ``low`` to ``high``."""
    try:
        numbers = tuple(int(n) for n in value.split(",") if n.strip())
    except ValueError:
        numbers = ()
    if not numbers or any(not low <= n <= high for n in numbers):
        raise click.ClickException(
            f"{option} takes numbers from {low} to {high}, like {example}: {value}"
        )
    return numbers


def _rates(value: str) -> tuple[int, ...]:
    """Posts per second, comma-separated, each from 1 to 1,000."""
    return _numbers(value, "--rates", 1, 1000, "10,100")


@main.command("bench-stream")
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["seed", "social", "small"]),
    default="small",
    show_default=True,
)
@click.option("--strategies", default="pull,fanout,matview,hybrid", show_default=True)
@click.option("--buses", default="redis,postgres", show_default=True, help="Live buses.")
@click.option(
    "--clients",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 5000),
    help="Streams connected (readers who follow the authors; fewer if fewer do).",
)
@click.option("--authors", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--rates", default="10,100", show_default=True, help="Posts per second.")
@click.option(
    "--seconds",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 60),
    help="Posting time at each rate.",
)
@click.option(
    "--drain",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 300),
    help="The most each rate waits for late deliveries after its last post.",
)
@click.option("--cache", type=click.Choice(["off", "on"]), default="off", show_default=True)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
def bench_stream(
    profile_name: str,
    strategies: str,
    buses: str,
    clients: int,
    authors: int,
    rates: str,
    seconds: float,
    drain: float,
    cache: str,
    out_dir: str,
) -> None:
    """Delay from a post's commit to every follower's live stream, with many streams open,
    at fixed write rates; write streaming-<profile>.md and .json. Exits with 1 if any
    delivery was missed."""
    from importlib.util import find_spec
    from pathlib import Path

    if find_spec("rich") is None:
        raise click.ClickException(
            "the benchmark needs the bench extra: pip install 'microblog[bench]'"
        )
    from microblog.bench.profiles import PROFILES
    from microblog.bench.streaming import Options, run_streaming
    from microblog.feeds import available

    settings = _settings()
    options = Options(
        profile=PROFILES[profile_name],
        admin_url=settings.database_url.rpartition("/")[0] + "/postgres",
        redis_url=settings.redis_url,
        out_dir=Path(out_dir),
        strategies=_names(strategies, available(), "--strategies"),
        buses=_names(buses, ["redis", "postgres"], "--buses"),
        clients=clients,
        authors=authors,
        rates=_rates(rates),
        seconds=seconds,
        drain_seconds=drain,
        cache=cache == "on",
    )
    results = run_streaming(options)
    missed = sum(
        phase["missed"]
        for figures in results["configurations"].values()
        for phase in figures["phases"].values()
    )
    click.echo(f"wrote {out_dir}/{options.name}.md and .json; {missed} deliveries missed")
    if missed:
        sys.exit(1)


@main.command("bench-replicas")
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["small", "social"]),
    default="small",
    show_default=True,
)
@click.option(
    "--seconds",
    default=5.0,
    show_default=True,
    type=click.FloatRange(1, 300),
    help="wrk time per read figure, and posting time at each write rate.",
)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
def bench_replicas(profile_name: str, seconds: float, out_dir: str) -> None:
    """On a private primary and streaming replica (started under a temporary folder, removed
    afterwards): read throughput with 0 and 1 replica, the replica's lag behind writes, and
    fan-out with the push tables UNLOGGED and LOGGED; write replicas-<profile>.md and .json.
    Exits with 1 if any read failed."""
    from importlib.util import find_spec
    from pathlib import Path

    if find_spec("rich") is None:
        raise click.ClickException(
            "the benchmark needs the bench extra: pip install 'microblog[bench]'"
        )
    from microblog.bench.profiles import PROFILES
    from microblog.bench.replicas import NEEDED, Options, run_replicas
    from microblog.cluster import procs

    missing = [name for name in NEEDED if not procs.have(name)]
    if missing:
        raise click.ClickException(
            f"bench-replicas needs {', '.join(missing)} (make system-deps installs wrk)"
        )
    profile = PROFILES[profile_name]
    options = Options(
        profile=profile,
        redis_url=_settings().redis_url,
        out_dir=Path(out_dir),
        seconds=seconds,
        backlog_posts=max(profile.backlog_posts, 1000),
    )
    results = run_replicas(options)
    errors = sum(
        f[replicas]["errors"] for f in results["reads"].values() for replicas in ("0", "1")
    )
    click.echo(f"wrote {out_dir}/{options.name}.md and .json; {errors} failed reads")
    if errors:
        sys.exit(1)


@main.command()
@click.option(
    "--minutes",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.05, 600),
    help="How long the load runs.",
)
@click.option("--strategy", default="fanout", show_default=True, help="The serving strategy.")
@click.option("--cache", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option(
    "--connections",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Virtual users, one connection each.",
)
@click.option(
    "--database",
    default="microblog_soak",
    show_default=True,
    help="The database the soak drops and seeds anew (its name starts with microblog_soak).",
)
@click.option(
    "--out", "out_dir", default="bench/results", show_default=True, type=click.Path(file_okay=False)
)
def soak(
    minutes: float, strategy: str, cache: str, connections: int, database: str, out_dir: str
) -> None:
    """Run a real server under a mixed load for a while; report errors, latency per minute,
    memory and connections to soak.md. Exits with 1 if any request failed."""
    from importlib.util import find_spec
    from pathlib import Path

    if find_spec("rich") is None:
        raise click.ClickException("the soak needs the bench extra: pip install 'microblog[bench]'")
    from microblog.bench.soak import Options, check_database_name
    from microblog.bench.soak import soak as run_soak
    from microblog.feeds import available

    if strategy not in available():
        raise click.ClickException(f"unknown strategy {strategy!r}: {', '.join(available())}")
    try:
        check_database_name(database)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = _settings()
    options = Options(
        admin_url=settings.database_url.rpartition("/")[0] + "/postgres",
        redis_url=settings.redis_url,
        out_dir=Path(out_dir),
        minutes=minutes,
        strategy=strategy,
        cache=cache == "on",
        connections=connections,
        database=database,
    )
    results = run_soak(options)
    click.echo(f"wrote {out_dir}/soak.md and soak.json")
    click.echo(results["verdict"]["line"])
    if results["verdict"]["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
