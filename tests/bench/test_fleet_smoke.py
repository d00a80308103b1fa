"""``microblog bench-fleet`` runs end to end on a tiny data set with one and two worker
processes, and every post it writes is fanned out.

A smoke test: it checks the harness and the shape of its report, never a timing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from rich.console import Console

from microblog.bench import dataset
from microblog.bench.fleet import Options, run_fleet
from microblog.bench.profiles import PROFILES
from microblog.seeding import SeedPlan
from tests.conftest import ADMIN_URL, TEST_REDIS_URL

SMOKE = dataclasses.replace(
    PROFILES["small"], name="fleetsmoke", plan=SeedPlan(200, 2_000, 20, 1, "uniform")
)


@pytest.fixture
def smoke_database() -> Iterator[str]:
    """The profile's database, dropped afterwards (whatever an earlier run left)."""
    url = dataset.database_url(ADMIN_URL, SMOKE)
    drop = f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)


def test_bench_fleet_measures_one_then_two_workers(smoke_database: str, tmp_path: Path) -> None:
    options = Options(
        profile=SMOKE,
        admin_url=ADMIN_URL,
        redis_url=TEST_REDIS_URL,
        workers=(1, 2),
        posts=40,
        out_dir=tmp_path,
    )
    with open(os.devnull, "w") as sink:
        run_fleet(options, Console(file=sink))

    results = json.loads((tmp_path / "fleet-fleetsmoke.json").read_text())
    assert {"machine", "versions", "settings", "profile", "runs"} <= set(results)
    assert [run["workers"] for run in results["runs"]] == [1, 2]
    for run in results["runs"]:
        assert run["backlog"]["posts"] == 40 and run["backlog"]["entries"] > 0
        assert run["steady"]["posts"] == 40 and run["steady"]["unfinished"] == 0
        assert run["steady"]["lag_ms"]["n"] == 40
        assert run["fan_out_jobs"] >= 1
    report = (tmp_path / "fleet-fleetsmoke.md").read_text()
    assert "| workers |" in report and report.count("\n| 2 |") == 1
    with psycopg.connect(smoke_database) as conn:
        assert conn.execute("SELECT count(*) FROM feed_outbox").fetchone() == (0,)
        left = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    assert left == (0,), "the workers stopped and unregistered"
