"""A real ``microblog serve`` (two worker processes, in-process job workers) on loopback,
and a separate ``microblog worker`` beside it when asked (the soak test's)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from microblog.settings import Settings


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: its base URL and its supervisor process."""

    url: str
    process: subprocess.Popen[bytes]


def environment(settings: Settings) -> dict[str, str]:
    """The environment of the server (and of a separate worker): these settings, a fresh
    secret, no rate limits (the load comes from one address on purpose), the floor's
    endpoint served (``web/floor.py``)."""
    return {
        **os.environ,
        "MICROBLOG_DATABASE_URL": settings.database_url,
        # Streaming replicas that serve reads (none: the primary serves everything).
        "MICROBLOG_DATABASE_REPLICA_URLS": settings.database_replica_urls,
        "MICROBLOG_REPLICA_MAX_LAG_SECONDS": str(settings.replica_max_lag_seconds),
        "MICROBLOG_REDIS_URL": settings.redis_url,
        "MICROBLOG_FEED_STRATEGY": settings.feed_strategy,
        "MICROBLOG_FEED_CACHE": settings.feed_cache,
        "MICROBLOG_LIVE_BUS": settings.live_bus,
        "MICROBLOG_FEED_CAP": str(settings.feed_cap),
        "MICROBLOG_ACTIVE_DAYS": str(settings.active_days),
        "MICROBLOG_CELEBRITY_FOLLOWERS": str(settings.celebrity_followers),
        "MICROBLOG_MATVIEW_PER_READER": str(settings.matview_per_reader),
        "MICROBLOG_DB_POOL_MAX": str(settings.db_pool_max),
        "MICROBLOG_SECRET_KEY": secrets.token_urlsafe(24),
        "MICROBLOG_DEV_MODE": "0",
        "MICROBLOG_RATE_LIMITS": "off",
        "MICROBLOG_BENCH_FLOOR": "on",
    }


@contextlib.contextmanager
def serving(settings: Settings, workers: int = 2) -> Iterator[str]:
    """Run the server with these settings until the block ends; yields its base URL."""
    with started(settings, workers) as server:
        yield server.url


@contextlib.contextmanager
def started(settings: Settings, workers: int = 2, run_worker: bool = True) -> Iterator[Server]:
    """Run the server (with in-process job workers unless ``run_worker`` is false) until the
    block ends."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "microblog.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *([] if run_worker else ["--no-worker"]),
        ],
        env=environment(settings),
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/api/v1/instance", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.2)
        yield Server(url, proc)
    finally:
        _stop(proc)


@contextlib.contextmanager
def working(settings: Settings, concurrency: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """Run a separate ``microblog worker`` with the server's environment until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "microblog.cli", "worker", "--concurrency", str(concurrency)],
        env=environment(settings),
        stdout=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
