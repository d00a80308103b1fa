"""``make run``: a development server with demo data, on a fresh machine with nothing set up.

Picks a database (``MICROBLOG_DATABASE_URL``, else the PostgreSQL at 127.0.0.1:5432, else a
private PostgreSQL started in ``./.data``), migrates it, seeds a small demo network when it
has no users, and replaces itself with ``microblog serve``. ``MICROBLOG_HOST`` and
``MICROBLOG_PORT`` choose where it listens (127.0.0.1:8000).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from microblog.seeding import SeedPlan

SHARED_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "microblog"
DATA_ROOT = Path(".data")
PRIVATE_PORT = 54329
DEMO_PLAN = SeedPlan(users=200, posts=4000, follows_per_user=20, seed=1)
DEMO_PASSWORD = "password123"
INSTALL_HINT = (
    "PostgreSQL is needed: none answers at 127.0.0.1:5432 and no initdb/pg_ctl was found "
    "(looked in /usr/lib/postgresql/*/bin and on PATH). Install it, e.g. "
    "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), "
    "or point MICROBLOG_DATABASE_URL at a PostgreSQL you have."
)


class DevServerError(Exception):
    """The development server cannot start; the message says what to do."""


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
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


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


def start_private_postgres(root: Path, port: int = PRIVATE_PORT) -> PrivatePostgres:
    """Create (once) and start a PostgreSQL in ``root``: trust auth, a unix socket in
    ``root/run`` and TCP on 127.0.0.1 (``port``, or a free one if it is taken).

    Reuses the cluster when it is already running. As root, the files belong to, and the
    server runs as, an unprivileged user.
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise DevServerError(INSTALL_HINT)
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
    from microblog.store.queries import q

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=timeout) as conn:
        row = conn.execute(q("dev_database_exists")).fetchone()
        if not (row and row[0]):
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # a concurrent run
                conn.execute(q("dev_create_database"))


def choose_database(data_root: Path = DATA_ROOT) -> str:
    """MICROBLOG_DATABASE_URL, else microblog at 127.0.0.1:5432, else a private PostgreSQL."""
    configured = os.environ.get("MICROBLOG_DATABASE_URL")
    if configured:
        return configured
    try:
        ensure_database(SHARED_ADMIN_URL)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"no usable PostgreSQL at 127.0.0.1:5432 ({reason})")
    else:
        return SHARED_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    print(f"starting a private PostgreSQL in {data_root / 'postgres'}")
    cluster = start_private_postgres(data_root)
    ensure_database(cluster.url())
    stop = shlex.join(cluster._command("pg_ctl", "-D", str(cluster.data_dir), "stop"))
    print(f"private PostgreSQL on 127.0.0.1:{cluster.port}; it keeps running: stop it with {stop}")
    return cluster.url(DATABASE)


def seed_if_empty(database_url: str) -> bool:
    """Seed the demo network when the database has no users; whether it did."""
    from microblog.store import seed
    from microblog.store.queries import q

    with psycopg.connect(database_url) as conn:
        row = conn.execute(q("seed_users_present")).fetchone()
    if row and row[0]:
        return False
    print(f"seeding a demo network: {DEMO_PLAN.users} users, {DEMO_PLAN.posts} posts")
    try:
        with seed.RichReporter() as reporter:
            seed.seed(database_url, DEMO_PLAN, DEMO_PASSWORD, reporter=reporter)
    except seed.SeedError:
        return False  # someone signed up meanwhile: keep their data
    return True


def serve_command(host: str, port: int) -> list[str]:
    """The ``microblog serve`` command line of this virtualenv."""
    script = Path(sys.executable).parent / "microblog"
    head = [str(script)] if script.is_file() else [sys.executable, "-m", "microblog.cli"]
    return [*head, "serve", "--host", host, "--port", str(port), "--workers", "2"]


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
    print(f"\n  microblog: http://{host}:{port}")
    print(f"  log in as user1 / {DEMO_PASSWORD} (any of user1..user{DEMO_PLAN.users})\n")
    sys.stdout.flush()
    command = serve_command(host, port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
