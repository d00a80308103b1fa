"""Processes of a rehearsal topology on loopback: start one, wait until it answers, stop it.

Used by ``microblog cluster`` (``make cluster``) and by the tests that run against a real
topology. Every process gets a log file of its own and a session of its own, so that
stopping it stops what it started too. PostgreSQL and PgBouncer refuse to run as root:
when we are root, they run as the ``postgres`` account of the machine.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVICE_ACCOUNT = "postgres"


class ClusterError(RuntimeError):
    """A process of the topology did not start, or did not answer in time."""


@dataclass
class Proc:
    """A started process: its name, its ``Popen`` and where it writes."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 20) -> str:
        """The last lines of its log (for an error message)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def as_service_account() -> bool:
    """Whether processes that refuse root must run as the ``postgres`` account."""
    return os.geteuid() == 0


def own(path: Path) -> None:
    """Give a folder (and what is in it) to the account the services run as."""
    if not as_service_account():
        return
    account = pwd.getpwnam(SERVICE_ACCOUNT)
    parent = path.resolve().parent  # a private temporary folder must let it through
    if parent.stat().st_uid == os.geteuid():
        parent.chmod(parent.stat().st_mode | 0o011)
    for root, dirs, files in os.walk(path):
        os.chown(root, account.pw_uid, account.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), account.pw_uid, account.pw_gid)


def binary(name: str) -> str:
    """The path of a program: on PATH, or in PostgreSQL's own folder (Debian keeps
    ``pg_basebackup`` and friends in ``/usr/lib/postgresql/N/bin``)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    for sbin in ("/usr/sbin", "/usr/local/sbin"):
        if (Path(sbin) / name).exists():
            return str(Path(sbin) / name)
    raise ClusterError(f"{name} is not installed (make system-deps installs what is missing)")


def have(*names: str) -> bool:
    """Whether every program is installed."""
    try:
        for name in names:
            binary(name)
    except ClusterError:
        return False
    return True


def run(argv: Sequence[str], service: bool = False, env: Mapping[str, str] | None = None) -> str:
    """Run a command to its end; its output. ``service``: as the service account if root."""
    user = SERVICE_ACCOUNT if service and as_service_account() else None
    done = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        user=user,
        env=None if env is None else {**os.environ, **env},
        cwd="/",
        check=False,
    )
    if done.returncode != 0:
        raise ClusterError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def spawn(
    name: str,
    argv: Sequence[str],
    log: Path,
    service: bool = False,
    env: Mapping[str, str] | None = None,
) -> Proc:
    """Start a long-running process in a session of its own, its output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    user = SERVICE_ACCOUNT if service and as_service_account() else None
    with log.open("ab") as out:
        popen = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=user,
            env=None if env is None else {**os.environ, **env},
            cwd="/",
        )
    return Proc(name, popen, log)


def stop(proc: Proc, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
    """Stop a process and its session: ``sig`` first, SIGKILL if it lingers."""
    stop_pid(proc.pid, timeout, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.popen.wait(timeout=1)


def kill(proc: Proc) -> None:
    """Kill a process at once (SIGKILL), as a crash would."""
    stop(proc, timeout=0, sig=signal.SIGKILL)


def stop_pid(pid: int, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
    """Stop the process group of ``pid`` (a process started by ``spawn`` leads one)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _exists(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _exists(pid: int) -> bool:
    """Whether a process runs (a zombie does not: ours is reaped here; another's, whose
    parent is gone and which nobody reaps, counts as ended)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return running(pid)


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_port(proc: Proc | None, port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on loopback ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise ClusterError(f"{proc.name} exited:\n{proc.tail()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    name = proc.name if proc is not None else f"port {port}"
    raise ClusterError(f"{name} did not listen on 127.0.0.1:{port} in {timeout:.0f} s")


def free_ports(count: int) -> list[int]:
    """Loopback ports nobody listens on now, all different."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()
