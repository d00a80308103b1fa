"""PostgreSQL servers of a rehearsal topology: a primary, streaming replicas of it, and
PgBouncer in front, each a private cluster in a folder of its own, on a loopback port.

Built from the machine's PostgreSQL binaries (``initdb``, ``pg_basebackup``, ``postgres``)
and Debian's ``pgbouncer``; settings are given on the command line, so a replica made by
``pg_basebackup`` (a copy of the primary's folder) needs nothing rewritten.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from microblog.cluster import procs
from microblog.cluster.procs import ClusterError, Proc

# Settings of every server: loopback only, no Unix socket (its path would be long), WAL for
# replicas, and no fsync (a rehearsal: a crash of the machine loses the folder anyway; a
# crash of the server alone loses nothing, fsync or not).
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_keep_size": "512MB",
    "hot_standby": "on",
    "hot_standby_feedback": "on",
    "max_connections": "300",
    "fsync": "off",
    "jit": "off",
    "logging_collector": "off",
}


@dataclass
class PgServer:
    """One PostgreSQL server of the topology."""

    name: str
    folder: Path
    port: int
    proc: Proc | None = None
    settings: dict[str, str] = field(default_factory=dict)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server (again) and wait until it takes queries."""
        options = {**SERVER_SETTINGS, **self.settings, "port": str(self.port)}
        argv = [procs.binary("postgres"), "-D", str(self.folder / "data")]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        self.proc = procs.spawn(self.name, argv, self.folder / "server.log", service=True)
        wait_ready(self.url(), self.proc, timeout)

    def stop(self) -> None:
        """A fast shutdown (SIGINT): sessions end, the server stops cleanly."""
        if self.proc is not None:
            procs.stop(self.proc, timeout=30, sig=signal.SIGINT)
            self.proc = None

    def crash(self) -> None:
        """Kill the server at once (SIGKILL), as a crash of its machine would."""
        if self.proc is not None:
            procs.kill(self.proc)
            self.proc = None


def wait_ready(url: str, proc: Proc | None, timeout: float) -> None:
    """Wait until a server answers ``SELECT 1``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise ClusterError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.Error as exc:
            last = exc
        time.sleep(0.1)
    raise ClusterError(f"PostgreSQL at {url} did not answer in {timeout:.0f} s: {last}")


def init_primary(folder: Path, port: int) -> PgServer:
    """A new, started primary in ``folder`` (which must not hold one already)."""
    folder.mkdir(parents=True, exist_ok=True)
    procs.own(folder)
    procs.run(
        [
            procs.binary("initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        service=True,
    )
    server = PgServer("primary", folder, port)
    server.start()
    return server


def init_replica(primary: PgServer, folder: Path, port: int, name: str = "replica") -> PgServer:
    """A new streaming replica of ``primary`` (``pg_basebackup -R``), started."""
    folder.mkdir(parents=True, exist_ok=True)
    procs.own(folder)
    procs.run(
        [
            procs.binary("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(folder / "data"),
            "-R",  # standby.signal and primary_conninfo: a streaming replica
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        service=True,
    )
    server = PgServer(name, folder, port)
    server.start()
    return server


def wait_replayed(primary_url: str, replica_url: str, timeout: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary had written when asked."""
    with psycopg.connect(primary_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    target = row[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            done = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
            ).fetchone()
            if done and done[0]:
                return
            time.sleep(0.02)
    raise ClusterError(f"the replica at {replica_url} did not replay {target} in {timeout} s")


@dataclass
class Bouncer:
    """PgBouncer in transaction pooling mode, in front of the primary and the replicas."""

    folder: Path
    port: int
    proc: Proc | None = None

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop(self.proc)
            self.proc = None


def replica_alias(database: str, index: int) -> str:
    """The name PgBouncer gives replica ``index`` of ``database``."""
    return f"{database}_replica{index}"


def start_pgbouncer(
    folder: Path,
    port: int,
    databases: list[str],
    primary: PgServer,
    replicas: list[PgServer] = (),  # type: ignore[assignment]
    pool_size: int = 20,
) -> Bouncer:
    """PgBouncer on ``port``: each database by its name on the primary, and as
    ``<name>_replica<N>`` on replica N (``replica_alias``)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[databases]"]
    for database in databases:
        lines.append(f"{database} = host=127.0.0.1 port={primary.port} dbname={database}")
        for index, replica in enumerate(replicas):
            alias = replica_alias(database, index)
            lines.append(f"{alias} = host=127.0.0.1 port={replica.port} dbname={database}")
    lines += [
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'users.txt'}",
        "admin_users = postgres",
        "pool_mode = transaction",
        "max_client_conn = 1000",
        f"default_pool_size = {pool_size}",
        "server_reset_query =",
        # A server that is down is an error soon, not a client waiting: the app then
        # skips that replica (or retries on the primary).
        "server_connect_timeout = 2",
        "server_login_retry = 1",
        "query_wait_timeout = 10",
        "ignore_startup_parameters = extra_float_digits",
        f"pidfile = {folder / 'pgbouncer.pid'}",
    ]
    (folder / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
    (folder / "users.txt").write_text('"postgres" ""\n')
    procs.own(folder)
    proc = procs.spawn(
        "pgbouncer",
        [procs.binary("pgbouncer"), str(folder / "pgbouncer.ini")],
        folder / "pgbouncer.log",
        service=True,
    )
    procs.wait_port(proc, port)
    return Bouncer(folder, port, proc)


def create_database(server: PgServer, name: str) -> None:
    """A new database on the server (``name`` is ours: letters, digits, underscores), with
    the session settings every connection of the app would send (which PgBouncer cannot
    pass on) set on the database itself."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a database name of ours: {name!r}")
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # our name, checked above
        conn.execute(f'ALTER DATABASE "{name}" SET jit = off')


@contextlib.contextmanager
def stopped(server: PgServer) -> Iterator[PgServer]:
    """The server stopped for the block, started again after it."""
    server.stop()
    try:
        yield server
    finally:
        server.start()
