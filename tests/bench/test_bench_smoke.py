"""The benchmark harness runs end to end on a tiny data set and finds no mismatch.

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

from microblog.bench import dataset, scale
from microblog.bench.profiles import PROFILES
from microblog.bench.run import Options, run
from microblog.seeding import SeedPlan
from tests.conftest import ADMIN_URL, TEST_REDIS_URL

SMOKE = dataclasses.replace(
    PROFILES["small"],
    name="smoke",
    # The harness, not the data, is under test: a network small enough to seed and build
    # in seconds for each of the eight configurations.
    plan=SeedPlan(200, 6_000, 30, 1, "uniform"),
    samples=5,
    http_seconds=1,
    write_rates=(20,),
    rate_seconds=1,
    backlog_posts=20,
    mixed_seconds=1,
    verify_readers=10,
)
SPREAD = {"p50", "p99", "max"}


@pytest.fixture
def smoke_database() -> Iterator[str]:
    """The smoke profile's database, dropped afterwards (whatever an earlier run left)."""
    url = dataset.database_url(ADMIN_URL, SMOKE)
    name = url.rpartition("/")[2]
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)


def test_the_small_profile_runs_and_every_strategy_matches_pull(
    smoke_database: str, tmp_path: Path
) -> None:
    options = Options(
        profile=SMOKE,
        strategies=("pull", "fanout", "matview", "hybrid"),
        caches=(False, True),
        admin_url=ADMIN_URL,
        redis_url=TEST_REDIS_URL,
        out_dir=tmp_path,
        # The cold figure's path, with a command that restarts nothing (the tests share
        # the server): the first page of every reader once, after it.
        restart_postgres="true",
    )
    with open(os.devnull, "w") as sink:
        run(options, Console(file=sink))

    results = json.loads((tmp_path / "smoke.json").read_text())
    assert {"machine", "versions", "settings", "profile", "strategies"} <= set(results)
    assert results["floor"]["rps"] > 0 and results["floor"]["errors"] == 0
    assert {"p50_ms", "p99_ms"} <= set(results["floor"])
    assert results["machine"]["cores"] >= 1
    assert set(results["strategies"]) == {
        f"{s}{c}" for s in ("pull", "fanout", "matview", "hybrid") for c in ("", "+cache")
    }
    for name, figures in results["strategies"].items():
        assert figures["mismatches"] == 0, name
        for figure in ("first_page_ms", "later_page_ms", "deep_page_ms"):
            assert set(figures[figure]) >= SPREAD, (name, figure)
            assert set(figures[figure]["by_reader"]) == set(results["dataset"]["readers"])
        for figure in ("http_first_page_ms", "post_create_ms", "fanout_lag_ms"):
            assert set(figures[figure]) >= SPREAD, (name, figure)
        assert {"rps", "p99_ms"} <= set(figures["mixed_load"])
        assert figures["mixed_load"]["errors"] == 0, name
        assert figures["storage_bytes"] == figures["storage_detail"]["total"] >= 0
        pushed = name.split("+")[0] in ("fanout", "hybrid")
        assert (figures["fanout_entries_per_s"] is not None) == pushed
        if pushed:
            assert figures["storage_detail"]["postgres"] > 0
            assert figures["fanout_lag_ms"]["by_rate"]["20"]["n"] > 0
        keeps_entries = name.split("+")[0] != "pull"
        assert (figures["feed_entries"] > 0) == keeps_entries, name
        if keeps_entries:
            per_entry = figures["storage_detail"]["postgres"] / figures["feed_entries"]
            assert figures["bytes_per_entry"] == round(per_entry, 1)
        assert set(figures["cold_first_page_ms"]) >= SPREAD, name
    markdown = (tmp_path / "smoke.md").read_text()
    assert "| feed query, first page (in process) |" in markdown
    assert "Floor of the HTTP stack" in markdown and "of the floor)" in markdown
    for plot in ("latency", "fanout-lag", "storage"):
        assert (tmp_path / f"smoke-{plot}.png").stat().st_size > 1000


@pytest.fixture
def scaled_databases() -> Iterator[None]:
    """The smoke profile's databases at sizes 1 and 2, dropped before and after."""
    names = [
        dataset.database_url(ADMIN_URL, scale.scaled(SMOKE, size)).rpartition("/")[2]
        for size in (1, 2)
    ]

    def drop() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    yield
    drop()


def test_the_scale_figure_measures_each_size(scaled_databases: None, tmp_path: Path) -> None:
    with open(os.devnull, "w") as sink:
        scale.run(
            SMOKE,
            (1, 2),
            ("pull", "fanout"),
            ADMIN_URL,
            TEST_REDIS_URL,
            tmp_path,
            Console(file=sink),
        )
    figures = json.loads((tmp_path / "scale.json").read_text())
    assert figures["profile"] == "smoke" and figures["sizes"] == [1, 2]
    assert figures["users"] == [SMOKE.plan.users, 2 * SMOKE.plan.users]
    assert set(figures["strategies"]) == {"pull", "fanout"}
    for row in figures["strategies"].values():
        for key in ("first_page_p99_ms", "fanout_lag_p99_ms", "storage_bytes"):
            assert len(row[key]) == 2
    fanout = figures["strategies"]["fanout"]
    assert fanout["storage_bytes"][1] > fanout["storage_bytes"][0] > 0  # twice the readers
    assert figures["strategies"]["pull"]["storage_bytes"] == [0, 0]
    assert (tmp_path / "scale.md").read_text().startswith("# How cost grows")
    assert (tmp_path / "scale.png").stat().st_size > 0
    assert (tmp_path / "scale" / "smoke-x2.json").exists()
