"""The streaming benchmark runs end to end on a tiny data set: every connected follower
receives every post, over both buses, from a strategy that answers at commit (pull) and
one that fans out in a worker (fanout), and the report is written.

A smoke test: it checks the harness and the deliveries, never a timing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from rich.console import Console

from microblog.bench import dataset
from microblog.bench.profiles import PROFILES
from microblog.bench.stream_clients import StreamReader
from microblog.bench.streaming import Options, run_streaming
from microblog.cli import main
from microblog.seeding import SeedPlan
from tests.conftest import ADMIN_URL, TEST_REDIS_URL

SMOKE = dataclasses.replace(
    PROFILES["small"], name="streamsmoke", plan=SeedPlan(200, 2_000, 30, 1, "uniform")
)
SPREAD = {"p50", "p99", "max", "n"}


@pytest.fixture
def smoke_database() -> Iterator[str]:
    """The smoke profile's database, dropped afterwards (whatever an earlier run left)."""
    url = dataset.database_url(ADMIN_URL, SMOKE)
    drop = f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(drop)


def test_every_follower_stream_receives_every_post(smoke_database: str, tmp_path: Path) -> None:
    options = Options(
        profile=SMOKE,
        admin_url=ADMIN_URL,
        redis_url=TEST_REDIS_URL,
        out_dir=tmp_path,
        strategies=("pull", "fanout"),
        buses=("redis", "postgres"),
        clients=40,
        authors=8,
        rates=(20,),
        seconds=1.0,
        drain_seconds=20.0,
    )
    with open(os.devnull, "w") as sink:
        run_streaming(options, Console(file=sink))

    results = json.loads((tmp_path / "streaming-streamsmoke.json").read_text())
    assert {"machine", "versions", "settings", "configurations", "finished_at"} <= set(results)
    assert results["settings"]["readers"] == 40
    assert set(results["configurations"]) == {
        f"{s}/{b}" for s in ("pull", "fanout") for b in ("redis", "postgres")
    }
    for name, figures in results["configurations"].items():
        assert figures["streams_opened"] == 40, name
        assert figures["streams_refused"] == {}, name
        assert figures["probe"]["streams_ready"] == 40, name
        phase = figures["phases"]["20"]
        assert phase["posts"] == 20 and phase["post_errors"] == {}, name
        # Every connected follower (and the author) got every post, once, and nobody else.
        assert phase["expected"] > phase["posts"], name
        assert phase["received"] == phase["expected"], name
        assert phase["missed"] == phase["unexpected"] == phase["duplicates"] == 0, name
        assert phase["streams_closed"] == 0, name
        for figure in ("delay_ms", "every_follower_ms", "after_response_ms"):
            assert set(phase[figure]) == SPREAD, (name, figure)
        assert phase["delay_ms"]["n"] == phase["expected"]
        assert phase["delay_ms"]["p50"] > 0
        assert phase["every_follower_ms"]["n"] == phase["posts"]
    markdown = (tmp_path / "streaming-streamsmoke.md").read_text()
    assert "# Streaming: `streamsmoke` profile" in markdown
    assert "| fanout | postgres | 20 (" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategies", "pull,nope"], "--strategies: unknown nope"),
        (["--buses", "kafka"], "--buses: unknown kafka"),
        (["--rates", "10,fast"], "--rates takes numbers from 1 to 1000"),
        (["--rates", "0"], "--rates takes numbers from 1 to 1000"),
        (["--seconds", "600"], "Invalid value for '--seconds'"),
    ],
)
def test_bench_stream_refuses_bad_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["bench-stream", *args])
    assert result.exit_code == 2 if "Invalid value" in message else result.exit_code == 1
    assert message in result.output


def test_the_stream_reader_records_updates_once_and_counts_the_rest() -> None:
    reader = StreamReader(1, "token")
    reader._event(b'event: update\ndata: {"id":"12","uri":"u"}\nid: 12.0', 5.0)
    # An id that is not the first key is parsed in full.
    reader._event(b'event: update\ndata: {"uri":"u","id":"13"}\nid: 13.0', 6.0)
    reader._event(b'event: update\ndata: {"id":"12","uri":"u"}\nid: 12.0', 7.0)
    reader._event(b'event: notification\ndata: {"id":"4","type":"follow"}\nid: 13.4', 8.0)
    reader._event(b"event: delete\ndata: 12", 9.0)
    reader._event(b": ping - 2026-11-26 12:00:00", 10.0)
    assert reader.arrivals == {12: 5.0, 13: 6.0}
    assert (reader.duplicates, reader.others, reader.heartbeats) == (1, 2, 1)
