"""The replica benchmark runs end to end on a tiny data set: a private primary and streaming
replica, reads with and without the replica, the replica's lag behind posts, and fan-out
with the push tables UNLOGGED and LOGGED; the report has every figure and the topology is
gone afterwards.

A smoke test: it checks the harness and the shape and sanity of its report, never a timing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from microblog.bench.profiles import PROFILES
from microblog.bench.replica_lag import Samples, behind_bytes, replay_delays
from microblog.bench.replicas import NEEDED, Options, run_replicas
from microblog.cli import main
from microblog.cluster import procs
from microblog.seeding import SeedPlan
from tests.conftest import TEST_REDIS_URL

TINY = dataclasses.replace(
    PROFILES["small"], name="replicasmoke", plan=SeedPlan(150, 3_000, 20, 1, "uniform")
)
SPREAD = {"p50", "p99", "max", "n"}


def _topologies() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("microblog-replicas-*")}


@pytest.mark.cluster
@pytest.mark.xdist_group("cluster")
def test_every_figure_is_measured_and_the_topology_is_removed(tmp_path: Path) -> None:
    if not procs.have(*NEEDED):
        pytest.skip(f"needs {', '.join(NEEDED)} (make system-deps installs wrk)")
    earlier = _topologies()
    options = Options(
        profile=TINY,
        redis_url=TEST_REDIS_URL,
        out_dir=tmp_path,
        seconds=1,
        rates=(10, 40),
        backlog_posts=30,
        fanout_rounds=2,
        readers=10,
        accounts=10,
    )
    with open(os.devnull, "w") as sink:
        run_replicas(options, Console(file=sink))

    results = json.loads((tmp_path / "replicas-replicasmoke.json").read_text())
    assert {"machine", "versions", "settings", "setup", "load_average", "finished_at"} <= set(
        results
    )
    assert results["settings"]["plan"]["users"] == 150
    assert results["setup"]["database_bytes"] > 0
    assert set(results["reads"]) == {"pull", "matview"}
    for name, figures in results["reads"].items():
        alone, replicated = figures["0"], figures["1"]
        for f in (alone, replicated):
            assert f["rps"] > 0 and f["errors"] == 0, name
            assert 0 < f["p50_ms"] <= f["p99_ms"], name
            assert len(f["rounds"]) == 2 and all(r["rps"] > 0 for r in f["rounds"]), name
            assert set(f["cpu_seconds"]) == {"primary", "replica", "server", "wrk"}, name
            assert f["cpu_seconds"]["server"] > 0 and f["wall_seconds"] > 0, name
            assert min(f["cpu_seconds"].values()) >= 0, name
        # Without a replica it serves nothing; with one, the reads land on it.
        assert alone["replicas"] == 0 and alone["xacts"]["replica"] == 0, name
        assert alone["xacts"]["primary"] > 0 and alone["replica_share"] == 0, name
        assert alone["cpu_seconds"]["primary"] > 0, name
        assert replicated["replicas"] == 1 and replicated["xacts"]["replica"] > 0, name
        assert replicated["cpu_seconds"]["replica"] > 0, name
        assert 0 < replicated["replica_share"] < 1, name

    by_rate = results["write_lag"]["by_rate"]
    assert set(by_rate) == {"10", "40"}
    for rate, f in by_rate.items():
        assert f["posts"] == int(rate) and f["achieved_posts_per_s"] > 0, rate
        assert set(f["lag_ms"]) == SPREAD and f["lag_ms"]["n"] == f["posts"], rate
        assert 0 <= f["lag_ms"]["p50"] <= f["lag_ms"]["p99"] <= f["lag_ms"]["max"], rate
        assert f["never_seen_replayed"] == 0 and f["wal_bytes_per_post"] > 0, rate

    assert set(results["fanout"]) == {"fanout", "hybrid"}
    for name, cases in results["fanout"].items():
        unlogged, logged = cases["unlogged"], cases["logged"]
        assert set(unlogged["persistence"].values()) >= {"unlogged"}, name
        assert "unlogged" not in logged["persistence"].values(), name
        assert cases["set_logged"]["tables"], name
        assert cases["set_logged"]["wal_bytes"] > 0, name
        for f in (unlogged, logged):
            assert f["entries"] > 0 and f["entries_per_s"] > 0, name
            assert len(f["rounds"]) == 2 and all(r["entries"] > 0 for r in f["rounds"]), name
            assert f["wal_bytes_per_entry"] > 0, name
            assert set(f["replica_lag_ms"]) == SPREAD and f["replica_lag_ms"]["n"] > 0, name
            assert f["never_seen_replayed"] == 0, name
        # A logged fan-out writes its entries to the WAL, an unlogged one does not.
        assert logged["wal_bytes_per_entry"] > unlogged["wal_bytes_per_entry"], name

    markdown = (tmp_path / "replicas-replicasmoke.md").read_text()
    assert "# Read replicas: `replicasmoke` profile" in markdown
    assert "| pull | 1 |" in markdown and "| fanout | LOGGED |" in markdown
    assert "| 40/s |" in markdown
    assert _topologies() <= earlier  # stopped and removed


def test_bench_replicas_refuses_bad_options() -> None:
    result = CliRunner().invoke(main, ["bench-replicas", "--seconds", "0"])
    assert result.exit_code == 2 and "Invalid value for '--seconds'" in result.output
    result = CliRunner().invoke(main, ["bench-replicas", "--profile", "huge"])
    assert result.exit_code == 2 and "Invalid value for '--profile'" in result.output


def test_a_position_is_replayed_at_the_first_sample_after_it_that_shows_it() -> None:
    replica = [(1.000, 100), (1.002, 100), (1.004, 250), (1.006, 240), (1.008, 400)]
    # Reached at 1.001: replayed by the sample of 1.004. Reached at 1.0045 (after that
    # sample): the next one that shows it is 1.006 (replay never goes back: 250 holds).
    # Position 500 was never seen replayed.
    delays, never = replay_delays([(1.001, 200), (1.0045, 250), (1.005, 500)], replica)
    assert [round(d, 3) for d in delays] == [3.0, 1.5]
    assert never == 1
    assert replay_delays([], replica) == ([], 0)
    samples = Samples(primary=[(1.0, 300), (1.1, 900)], replica=[(1.0, 100), (1.1, 850)])
    assert behind_bytes(samples) == 200
