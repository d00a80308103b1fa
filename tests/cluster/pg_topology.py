"""A PostgreSQL topology for the tests: a primary, a streaming replica and PgBouncer in
front of both, private clusters on free loopback ports, started once per test session."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from microblog.cluster import postgres, procs
from microblog.settings import Settings
from microblog.store import migrate, write_marks
from tests.conftest import TEST_REDIS_URL, truncate_all

DATABASE = "microblog_topology"
NEEDED = ("initdb", "pg_basebackup", "postgres", "pgbouncer")


@dataclass
class PgTopology:
    """The servers, and the URLs the app would be given."""

    primary: postgres.PgServer
    replica: postgres.PgServer
    bouncer: postgres.Bouncer

    @property
    def direct_url(self) -> str:
        return self.primary.url(DATABASE)

    @property
    def replica_url(self) -> str:
        return self.replica.url(DATABASE)

    @property
    def pooled_url(self) -> str:
        return self.bouncer.url(DATABASE)

    @property
    def pooled_replica_url(self) -> str:
        return self.bouncer.url(postgres.replica_alias(DATABASE, 0))

    def replayed(self) -> None:
        """Wait until the replica has everything the primary has now."""
        postgres.wait_replayed(self.direct_url, self.replica_url)

    def pause_replay(self) -> None:
        """Hold the replica where it is (it keeps receiving WAL, and replays none)."""
        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def settings(self, **changes: object) -> Settings:
        """Settings of an app on the topology: through PgBouncer, reads on the replica,
        LISTEN and the job queue straight on the primary."""
        base = Settings(
            database_url=self.pooled_url,
            database_direct_url=self.direct_url,
            database_replica_urls=self.pooled_replica_url,
            pgbouncer=True,
            redis_url=TEST_REDIS_URL,
            secret_key="test-secret-key-0123456789",
            public_url="http://testserver",
            db_pool_min=1,
            db_pool_max=4,
            rate_limits=False,
        )
        return base.replace(**changes)


def forget_marks() -> None:
    """Drop the read-your-writes marks of earlier tests (ids start again at 1 each test)."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        for key in client.scan_iter(match=f"{write_marks.PREFIX}:*", count=1000):
            client.unlink(key)
    finally:
        client.close()


@pytest.fixture(scope="session")
def pg_topology() -> Iterator[PgTopology]:
    """The topology, with the microblog's database migrated (and replicated)."""
    if not procs.have(*NEEDED):
        pytest.skip(f"needs {', '.join(NEEDED)} (make system-deps installs PgBouncer)")
    root = Path(tempfile.mkdtemp(prefix="microblog-pg-"))
    root.chmod(0o755)
    primary_port, replica_port, bouncer_port = procs.free_ports(3)
    servers: list[postgres.PgServer] = []
    bouncer = None
    try:
        primary = postgres.init_primary(root / "primary", primary_port)
        servers.append(primary)
        postgres.create_database(primary, DATABASE)
        migrate.upgrade(primary.url(DATABASE))
        replica = postgres.init_replica(primary, root / "replica", replica_port)
        servers.append(replica)
        bouncer = postgres.start_pgbouncer(
            root / "bouncer", bouncer_port, [DATABASE], primary, [replica]
        )
        yield PgTopology(primary, replica, bouncer)
    finally:
        if bouncer is not None:
            bouncer.stop()
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def topology(pg_topology: PgTopology) -> Iterator[PgTopology]:
    """The topology with every table empty and replayed, the replica up and replaying."""
    if pg_topology.replica.proc is None or not pg_topology.replica.proc.alive():
        pg_topology.replica.start()
    pg_topology.resume_replay()
    truncate_all(pg_topology.direct_url)
    forget_marks()
    pg_topology.replayed()
    yield pg_topology
    with contextlib.suppress(psycopg.Error):
        pg_topology.resume_replay()
