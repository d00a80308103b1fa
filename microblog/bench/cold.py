"""A cold start of PostgreSQL for the benchmark's cold figure: restart it (its shared buffers
empty) and wait until it answers. The kernel's page cache is kept: dropped (a first version
did), it slowed the figures measured after it for minutes while the 25M follows and their
indexes were read back from disk (fan-out at 2.6k entries/s right after, 57-75k warm)."""

from __future__ import annotations

import subprocess
import time

import psycopg

READY_SECONDS = 60.0


def restart_postgres(command: str, database_url: str) -> None:
    """Run ``command`` (restarts the server) and wait until ``database_url`` answers."""
    subprocess.run(command, shell=True, check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            with psycopg.connect(database_url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
