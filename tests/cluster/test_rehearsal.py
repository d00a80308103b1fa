"""``make cluster``'s rehearsal, as its processes: the demo served by two web processes, and
faults while clients keep writing: a web process killed, the replica stopped and started
again, a Redis master killed, a worker killed mid-way. Every write a client saw
acknowledged is there once, and every feed equals pull's (``microblog feeds verify``)."""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import redis

from microblog.cluster import postgres, procs, rehearsal
from tests.api.helpers import PASSWORD

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

NEEDED = ("initdb", "pg_basebackup", "postgres", "pgbouncer", "redis-server", "redis-cli")
# Maintenance every second, heartbeats every second: a killed worker's job is retried
# within seconds, not minutes.
FAST = {"MICROBLOG_MAINTENANCE_SECONDS": "1", "MICROBLOG_WORKER_HEARTBEAT_SECONDS": "1"}
WRITERS = 3
POSTS_EACH = 30


@pytest.fixture(scope="module")
def cluster() -> Iterator[rehearsal.State]:
    """The rehearsal, with the demo network, in a folder of its own."""
    if not procs.have(*NEEDED):
        pytest.skip(f"needs {', '.join(NEEDED)} (make system-deps installs PgBouncer)")
    root = Path(tempfile.mkdtemp(prefix="microblog-rehearsal-"))
    ports = tuple(procs.free_ports(2))
    plan = rehearsal.Plan(root=root, web_ports=ports, env=FAST)
    try:
        yield rehearsal.up(plan, say=lambda _: None)
    finally:
        rehearsal.down(root, say=lambda _: None)
        shutil.rmtree(root, ignore_errors=True)


def test_the_demo_is_served_by_both_web_processes(cluster: rehearsal.State) -> None:
    web1, web2 = cluster.urls["web1"], cluster.urls["web2"]
    public = httpx.get(f"{web2}/api/v1/timelines/public", timeout=10)
    assert public.status_code == 200
    assert len(public.json()) == 20  # the demo network's posts
    # A browser session made on one process works on the other (one secret key).
    with httpx.Client(base_url=web1, timeout=10) as browser:
        page = browser.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        done = browser.post(
            "/login", data={"username": "user1", "password": "password123", "csrf_token": token}
        )
        assert done.status_code == 303, done.text
        cookies = dict(browser.cookies)
    home = httpx.get(f"{web2}/", cookies=cookies, timeout=10)
    assert home.status_code == 200
    assert "user1" in home.text and "Log out" in home.text


class Writer:
    """A client that posts through either web process, and tries the other one when its
    request fails, with the same Idempotency-Key: a post is made at most once."""

    def __init__(self, name: str, webs: list[str]) -> None:
        self.name = name
        self.webs = webs
        answer = httpx.post(
            f"{webs[0]}/api/v1/accounts",
            data={"username": name, "password": PASSWORD},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        self.acknowledged: dict[str, str] = {}  # Idempotency-Key -> post id

    def post(self, number: int) -> None:
        key = f"{self.name}-{number}"
        deadline = time.monotonic() + 60
        attempt = 0
        while time.monotonic() < deadline:
            web = self.webs[(number + attempt) % len(self.webs)]
            attempt += 1
            try:
                answer = httpx.post(
                    f"{web}/api/v1/statuses",
                    data={"status": f"{key} under faults"},
                    headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
                    timeout=5,
                )
            except httpx.HTTPError:
                continue  # that process is gone: the other one
            if answer.status_code == 200:
                self.acknowledged[key] = answer.json()["id"]
                return
            assert answer.status_code >= 500, answer.text
        raise AssertionError(f"{key} was never acknowledged")


def replica_server(cluster: rehearsal.State, root: Path) -> postgres.PgServer:
    port = urlsplit(cluster.urls["replica"]).port
    assert port is not None
    return postgres.PgServer("replica", root / "postgres" / "replica", port)


def redis_master_port(cluster: rehearsal.State) -> int:
    """A port of a Redis master that holds slots."""
    node = urlsplit(cluster.env["MICROBLOG_REDIS_URL"])
    client = redis.Redis(host=node.hostname, port=node.port, socket_timeout=2)
    try:
        nodes = client.execute_command("CLUSTER NODES")  # parsed by redis-py, by address
    finally:
        client.close()
    for address, node in nodes.items():
        flags = str(node["flags"])
        if "master" in flags and "fail" not in flags and node["slots"]:
            return int(address.split("@")[0].rsplit(":", 1)[1])
    raise AssertionError(f"no master in {nodes}")


def test_no_acknowledged_write_is_lost_under_faults(cluster: rehearsal.State) -> None:
    root = Path(cluster.root)
    webs = [cluster.urls["web1"], cluster.urls["web2"]]
    writers = [Writer(f"writer{i}", webs) for i in range(WRITERS)]
    for writer in writers[1:]:
        follow = httpx.post(
            f"{webs[1]}/api/v1/accounts/{_id_of(writers[0], webs[1])}/follow",
            headers={"Authorization": f"Bearer {writer.token}"},
            timeout=10,
        )
        assert follow.status_code == 200, follow.text
    replica = replica_server(cluster, root)
    faults = {
        5: lambda: procs.stop_pid(cluster.pids["web1"], sig=signal.SIGKILL),
        10: lambda: procs.stop_pid(cluster.pids["replica"], sig=signal.SIGINT),
        14: lambda: _restart_replica(cluster, replica, root),
        18: lambda: procs.stop_pid(
            cluster.pids[f"redis{redis_master_port(cluster)}"], sig=signal.SIGKILL
        ),
        22: lambda: procs.stop_pid(cluster.pids["worker1"], sig=signal.SIGKILL),
    }
    for number in range(POSTS_EACH):
        if number in faults:
            faults[number]()
        for writer in writers:
            writer.post(number)

    acknowledged = {k: v for w in writers for k, v in w.acknowledged.items()}
    assert len(acknowledged) == WRITERS * POSTS_EACH
    direct = cluster.env["MICROBLOG_DATABASE_DIRECT_URL"]
    with psycopg.connect(direct) as conn:
        rows = conn.execute(
            "SELECT id::text, content FROM posts WHERE content LIKE %s", ["writer%under faults"]
        ).fetchall()
    assert sorted(rows) == sorted((v, f"{k} under faults") for k, v in acknowledged.items())
    _wait_fanned_out(direct)
    verify = procs.run(
        rehearsal.microblog_command("feeds", "verify", "--sample", "300"), env=cluster.env
    )
    assert " 0 mismatches" in verify, verify
    # The surviving web process still answers, reading as before.
    assert httpx.get(f"{webs[1]}/api/v1/timelines/public", timeout=10).status_code == 200


def _id_of(writer: Writer, web: str) -> str:
    me = httpx.get(
        f"{web}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {writer.token}"},
        timeout=10,
    )
    assert me.status_code == 200, me.text
    return str(me.json()["id"])


def _restart_replica(cluster: rehearsal.State, replica: postgres.PgServer, root: Path) -> None:
    replica.start()
    rehearsal.adopt(cluster, "replica", replica.proc)
    cluster.save(root)


def _wait_fanned_out(direct: str, seconds: float = 60.0) -> None:
    """Until the outbox is empty and no job waits or runs (bounded)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(direct, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM feed_outbox) + (SELECT count(*) FROM "
                "procrastinate_jobs WHERE status IN ('todo', 'doing') "
                "AND task_name NOT LIKE '%maintain_feeds')"
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.2)
    raise AssertionError("the fan-out did not finish")
