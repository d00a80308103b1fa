"""The replica benchmark's sampler: a process of its own (so that the writers' event loop
cannot delay its polls) that asks a replica for ``pg_last_wal_replay_lsn()`` every few
milliseconds and, when given one, the primary for ``pg_current_wal_flush_lsn()`` (what it
can send) just before. Each answer is stamped with the time it came back (``time.monotonic``: the
machine's CLOCK_MONOTONIC, the same in every process).

``python -m microblog.bench.replica_sampler INTERVAL_S LIMIT_S REPLICA_URL [PRIMARY_URL]``
prints ``ready`` once connected, polls until SIGTERM (or ``LIMIT_S``), then prints the
samples as one JSON object: ``{"primary": [[t, lsn], …], "replica": [[t, lsn], …]}``.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from types import FrameType

import psycopg

from microblog.bench.replica_store import q


def sample(interval: float, limit: float, replica_url: str, primary_url: str | None) -> None:
    """Poll until SIGTERM or ``limit`` seconds; the samples to stdout."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    primary: list[tuple[float, int]] = []
    replica: list[tuple[float, int]] = []
    flush, replay = q("replicas_flush_lsn"), q("replicas_replay_lsn")
    with contextlib.ExitStack() as stack:
        rconn = stack.enter_context(psycopg.connect(replica_url, autocommit=True))
        pconn = None
        if primary_url:
            pconn = stack.enter_context(psycopg.connect(primary_url, autocommit=True))
        print("ready", flush=True)
        deadline = time.monotonic() + limit
        while not stopping and time.monotonic() < deadline:
            tick = time.monotonic()
            if pconn is not None:
                row = pconn.execute(flush).fetchone()
                primary.append((time.monotonic(), int(row[0]) if row else 0))
            row = rconn.execute(replay).fetchone()
            replica.append((time.monotonic(), int(row[0]) if row and row[0] is not None else 0))
            pause = tick + interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    json.dump({"primary": primary, "replica": replica}, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    primary_url = sys.argv[4] if len(sys.argv) > 4 else None
    sample(float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], primary_url)
