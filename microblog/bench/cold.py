"""A cold start of PostgreSQL for the benchmark's cold figure: restart it (its shared
buffers empty), drop the kernel's page cache where this process may, wait until it answers."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg

DROP_CACHES = Path("/proc/sys/vm/drop_caches")
READY_SECONDS = 60.0


def restart_postgres(command: str, database_url: str) -> bool:
    """Run ``command`` (restarts the server), drop the page cache if permitted, and wait
    until ``database_url`` answers; whether the page cache was dropped."""
    subprocess.run(command, shell=True, check=True, capture_output=True, timeout=120)
    dropped = drop_page_cache()
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            with psycopg.connect(database_url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return dropped
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def drop_page_cache() -> bool:
    """Write back dirty pages and drop the kernel's clean ones (root only); whether it did."""
    subprocess.run(["sync"], check=False)
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True
