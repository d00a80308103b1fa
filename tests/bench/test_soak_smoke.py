"""The soak runs end to end for a few seconds on a tiny network and reports real numbers.

A smoke test: it checks the harness, the shape of its report and that the figures were
measured (requests made, memory read), never a timing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from microblog.bench import soak_store
from microblog.bench.soak import Options, soak, summarize, verdict
from microblog.bench.soak_watch import BACKENDS, BACKENDS_PRIVATE, REDIS, SERVER, WORKER, Sample
from microblog.cli import main
from microblog.seeding import SeedPlan
from tests.conftest import ADMIN_URL, TEST_REDIS_URL

TINY = SeedPlan(200, 4_000, 20, 1, "uniform")
DATABASE = "microblog_soak_smoke"


@pytest.fixture
def soak_database() -> Iterator[str]:
    """The smoke run's database, dropped before and after (whatever an earlier run left)."""
    soak_store.drop(ADMIN_URL, DATABASE)
    yield DATABASE
    soak_store.drop(ADMIN_URL, DATABASE)


def test_a_short_soak_reports_errors_load_memory_and_connections(
    soak_database: str, tmp_path: Path
) -> None:
    options = Options(
        admin_url=ADMIN_URL,
        redis_url=TEST_REDIS_URL,
        out_dir=tmp_path,
        minutes=0.1,
        connections=4,
        database=soak_database,
        plan=TINY,
    )
    with open(os.devnull, "w") as sink:
        results = soak(options, Console(file=sink))

    assert results["requests"] > 0
    assert results["errors"]["total"] == 0, results["errors"]
    assert len(results["windows"]) == 3
    assert all(w["requests"] > 0 and w["p99_ms"] > 0 for w in results["windows"])
    kinds = set(results["kinds"])
    assert {"home timeline (API)", "home page (HTML)", "log in (HTML form)"} <= kinds
    assert sum(k["n"] for k in results["kinds"].values()) == results["requests"]
    memory = results["memory"]
    for label in (SERVER, WORKER, BACKENDS, BACKENDS_PRIVATE, REDIS, "server process 2"):
        assert memory[label]["start"] > 0 and memory[label]["max"] >= memory[label]["end"] > 0
    assert results["connections"]["max"] > 0
    assert results["cpu_seconds"]["server"] > 0
    assert results["connections"]["load_average_max"] > 0
    assert results["verdict"]["status"] == "PASS"
    assert results["verdict"]["memory_flat"] is None  # not judged under three minutes

    markdown = (tmp_path / "soak.md").read_text()
    for heading in (
        "# Soak: `fanout`",
        "Measured ",
        "**Verdict: PASS: 0 errors in ",
        "## Errors",
        "## The load by 2 s window",
        "## By kind of request",
        "## Memory (RSS from /proc)",
        "## PostgreSQL connections and the job backlog",
    ):
        assert heading in markdown, heading
    assert json.loads((tmp_path / "soak.json").read_text())["requests"] == results["requests"]


def _sample(at: float, server: int, worker: int = 50, backends: int = 20) -> Sample:
    rss = {SERVER: server << 20, WORKER: worker << 20, BACKENDS_PRIVATE: backends << 20}
    return Sample(at, rss, {"idle": 3, "active": 1}, 0, 0, (1, 2, 3))


def test_the_figures_count_errors_by_status_and_connection_error_per_window() -> None:
    rows = [
        (10.0, "home timeline (API)", "200", 2.0),
        (20.0, "post (API)", "500", 9.0),
        (70.0, "home timeline (API)", "ConnectError", 1.0),
        (130.0, "home page (HTML)", "303", 4.0),
        (150.0, "home page (HTML)", "200, logged out", 3.0),
    ]
    samples = [_sample(t, 100) for t in (0, 65, 125, 180)]
    figures = summarize(rows, samples, 180, 60, 181)

    assert [w["requests"] for w in figures["windows"]] == [2, 1, 2]
    assert [w["errors"] for w in figures["windows"]] == [1, 1, 1]
    assert figures["errors"]["total"] == 3
    assert figures["errors"]["by_outcome"] == {"500": 1, "ConnectError": 1, "200, logged out": 1}
    assert {"kind": "post (API)", "outcome": "500", "count": 1} in figures["errors"]["by_kind"]
    assert figures["kinds"]["home timeline (API)"]["errors"] == 1
    assert figures["windows"][0]["connections_max"] == 4


def test_the_verdict_fails_on_errors_and_warns_when_memory_grows() -> None:
    # Flat but for a moment near the end when two log-ins hashed at once (64 MiB each, more
    # than 10% of the minute's mean); growing by 12 MB a minute.
    flat = [_sample(t, 240 if t == 290 else 100) for t in range(0, 300, 5)]
    growing = [_sample(t, 100 + t // 5) for t in range(0, 300, 5)]
    ok = [(t, "home timeline (API)", "200", 2.0) for t in (10.0, 70.0, 130.0, 190.0, 250.0)]

    passed = verdict(summarize(ok, flat, 300, 60, 300))
    assert passed["status"] == "PASS" and passed["memory_flat"] is True
    grew = verdict(summarize(ok, growing, 300, 60, 300))
    assert grew["status"] == "WARN" and grew["memory_flat"] is False
    assert grew["memory_change_percent"][SERVER] > 10
    failed = verdict(summarize([*ok, (20.0, "post (API)", "502", 1.0)], flat, 300, 60, 300))
    assert failed["status"] == "FAIL" and failed["errors"] == 1
    assert failed["line"].startswith("FAIL: 1 error in 6 requests")


def test_the_soak_refuses_a_database_that_is_not_its_own() -> None:
    result = CliRunner().invoke(main, ["soak", "--database", "microblog", "--minutes", "0.1"])
    assert result.exit_code != 0
    assert "must start with 'microblog_soak'" in result.output
