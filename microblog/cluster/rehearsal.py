"""``microblog cluster up|down|status`` (``make cluster``): the scaled-out topology on one
machine, all on loopback, under one folder (``./.data/cluster``):

- a PostgreSQL primary and a streaming replica (private clusters of the machine's binaries);
- PgBouncer in transaction pooling mode in front of both;
- a Redis Cluster of 3 masters and 3 replicas;
- 2 ``microblog serve`` processes on two ports, and 2 ``microblog worker`` processes;
- the demo network of ``make run``.

The processes outlive the command that starts them; their ids and the URLs are written to
``state.json``, which ``down`` reads to stop them. Every program reads its settings from
the environment ``up`` gives it (also in ``state.json``, and in ``env.sh`` to source).
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from microblog.cluster import postgres, procs
from microblog.cluster import redis as redis_cluster
from microblog.cluster.procs import ClusterError

DATABASE = "microblog"
STATE = "state.json"
DEMO = ("--users", "200", "--posts", "4000", "--follows-per-user", "20", "--demo")


@dataclass
class Plan:
    """What ``up`` starts."""

    root: Path = Path(".data/cluster")
    web_ports: tuple[int, ...] = (8001, 8002)
    workers: int = 2
    strategy: str = "hybrid"
    cache: str = "redis"
    demo: bool = True
    env: dict[str, str] = field(default_factory=dict)
    """More ``MICROBLOG_*`` settings for every process (they win over the plan's)."""


@dataclass
class State:
    """What runs: each process's id by name (in stopping order), and the settings."""

    pids: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    root: str = ""

    def save(self, root: Path) -> None:
        self.root = str(root)
        data = {"pids": self.pids, "env": self.env, "urls": self.urls, "root": self.root}
        (root / STATE).write_text(json.dumps(data, indent=2) + "\n")
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.env.items())
        (root / "env.sh").write_text(exports)

    @classmethod
    def load(cls, root: Path) -> State | None:
        try:
            data = json.loads((root / STATE).read_text())
        except (OSError, ValueError):
            return None
        return cls(data["pids"], data["env"], data["urls"], data.get("root", str(root)))


def microblog_command(*args: str) -> list[str]:
    """A ``microblog`` command line of this virtualenv."""
    script = Path(sys.executable).parent / "microblog"
    head = [str(script)] if script.is_file() else [sys.executable, "-m", "microblog.cli"]
    return [*head, *args]


def running(root: Path) -> list[str]:
    """The processes of a rehearsal under ``root`` that still run."""
    state = State.load(root)
    if state is None:
        return []
    return [name for name, pid in state.pids.items() if _alive(pid)]


def up(plan: Plan, say: Callable[[str], None] = print) -> State:
    """Start everything; the state (also written under ``plan.root``)."""
    root = plan.root.resolve()
    if running(root):
        raise ClusterError(f"a rehearsal runs under {root} already: `make cluster-stop` first")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    root.chmod(0o755)
    state = State(root=str(root))
    try:
        _start(plan, root, state, say)
    except BaseException:
        state.save(root)
        down(root, say=lambda _: None)
        raise
    state.save(root)
    return state


def _start(plan: Plan, root: Path, state: State, say: Callable[[str], None]) -> None:
    primary_port, replica_port, bouncer_port = procs.free_ports(3)
    say(f"PostgreSQL primary on {primary_port}")
    primary = postgres.init_primary(root / "postgres" / "primary", primary_port)
    _add(state, "primary", primary.proc)
    postgres.create_database(primary, DATABASE)
    direct = primary.url(DATABASE)
    procs.run(microblog_command("migrate"), env={"MICROBLOG_DATABASE_URL": direct})
    say(f"streaming replica on {replica_port}")
    replica = postgres.init_replica(primary, root / "postgres" / "replica", replica_port)
    _add(state, "replica", replica.proc)
    say(f"PgBouncer (transaction pooling) on {bouncer_port}")
    bouncer = postgres.start_pgbouncer(
        root / "pgbouncer", bouncer_port, [DATABASE], primary, [replica]
    )
    _add(state, "pgbouncer", bouncer.proc)
    say("Redis Cluster: 3 masters, 3 replicas")
    nodes = redis_cluster.start(root / "redis", masters=3, replicas_per_master=1)
    for port, proc in nodes.procs.items():
        _add(state, f"redis{port}", proc)
    state.env = {
        "MICROBLOG_DATABASE_URL": bouncer.url(DATABASE),
        "MICROBLOG_DATABASE_DIRECT_URL": direct,
        "MICROBLOG_DATABASE_REPLICA_URLS": bouncer.url(postgres.replica_alias(DATABASE, 0)),
        "MICROBLOG_PGBOUNCER": "true",
        "MICROBLOG_REDIS_URL": nodes.url,
        "MICROBLOG_REDIS_CLUSTER": "true",
        "MICROBLOG_FEED_STRATEGY": plan.strategy,
        "MICROBLOG_FEED_CACHE": plan.cache,
        # Both web processes sign cookies with one key: a session works on either.
        "MICROBLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "MICROBLOG_PUBLIC_URL": f"http://127.0.0.1:{plan.web_ports[0]}",
        **plan.env,
    }
    state.urls = {
        "primary": direct,
        "replica": replica.url(DATABASE),
        "pgbouncer": bouncer.url(DATABASE),
        "redis": nodes.url,
    }
    if plan.demo:
        say("the demo network (make run's)")
        procs.run(microblog_command("seed", *DEMO), env=state.env)
    for index in range(plan.workers):
        name = f"worker{index + 1}"
        _add(state, name, _microblog(root, name, state.env, "worker"))
    for index, port in enumerate(plan.web_ports):
        name = f"web{index + 1}"
        web = _microblog(
            root, name, state.env, "serve", "--port", str(port), "--workers", "1", "--no-worker"
        )
        _add(state, name, web)
        procs.wait_port(web, port, timeout=60)
        state.urls[name] = f"http://127.0.0.1:{port}"
        say(f"{name}: http://127.0.0.1:{port}")
    state.save(root)


def _microblog(root: Path, name: str, env: dict[str, str], *args: str) -> procs.Proc:
    return procs.spawn(name, microblog_command(*args), root / "logs" / f"{name}.log", env=env)


# The processes this interpreter started: they run on after ``up`` returns, so their
# ``Popen`` objects are kept (and reaped by ``down``) rather than collected while running.
_started: dict[int, procs.Proc] = {}


def adopt(state: State, name: str, proc: procs.Proc | None) -> None:
    """Count a process as the rehearsal's (started by ``up``, or again by a test)."""
    _add(state, name, proc)


def _add(state: State, name: str, proc: procs.Proc | None) -> None:
    if proc is None:
        raise ClusterError(f"{name} did not start")
    state.pids[name] = proc.pid
    _started[proc.pid] = proc


# Stopped first to last: who writes, then what they write to.
_ORDER = ("web", "worker", "pgbouncer", "redis", "replica", "primary")


def down(root: Path, say: Callable[[str], None] = print) -> list[str]:
    """Stop every process of the rehearsal under ``root``; the names stopped."""
    state = State.load(root.resolve())
    if state is None:
        return []
    stopped = []
    for prefix in _ORDER:
        for name, pid in state.pids.items():
            if not name.startswith(prefix):
                continue
            if _alive(pid):
                # PostgreSQL's fast shutdown is SIGINT; everything else stops on SIGTERM.
                sig = signal.SIGINT if prefix in ("replica", "primary") else signal.SIGTERM
                procs.stop_pid(pid, timeout=30, sig=sig)
                stopped.append(name)
            if (proc := _started.pop(pid, None)) is not None:
                proc.popen.wait(timeout=5)
                say(f"stopped {name}")
    return stopped


def _alive(pid: int) -> bool:
    return procs.running(pid)


def wait_stopped(root: Path, timeout: float = 30.0) -> None:
    """Wait until no process of the rehearsal runs."""
    deadline = time.monotonic() + timeout
    while running(root) and time.monotonic() < deadline:
        time.sleep(0.1)
