"""The benchmark report's targets: a lag asked at a rate the writer did not reach is not
counted as met at that rate."""

from __future__ import annotations

from typing import Any

from microblog.bench.report import targets


def fanout(achieved: float, p99: float, rate: float = 1_300_000.0) -> dict[str, Any]:
    return {
        "fanout_entries_per_s": rate,
        "fanout_lag_ms": {"by_rate": {"500": {"p99": p99, "achieved_posts_per_s": achieved}}},
    }


def row(rows: list[tuple[str, str, bool | None]], start: str) -> tuple[str, bool | None]:
    (found,) = [(shown, met) for label, shown, met in rows if label.startswith(start)]
    return found


def test_a_lag_at_the_rate_asked_is_judged_against_one_second() -> None:
    assert row(targets("fanout", fanout(498.0, 640.0)), "fan-out lag p99 ≤ 1 s at 500")[1]
    late = targets("fanout", fanout(500.0, 1200.0))
    assert row(late, "fan-out lag p99 ≤ 1 s at 500")[1] is False


def test_a_lag_at_a_rate_the_writer_missed_is_not_met_and_says_so() -> None:
    shown, met = row(targets("fanout", fanout(195.0, 640.0)), "fan-out lag p99 ≤ 1 s at 500")
    assert met is False
    assert "195 posts/s written" in shown


def test_the_fan_out_rate_target_is_the_seeds_500_posts_per_second() -> None:
    assert row(targets("fanout", fanout(500.0, 1.0, 1_262_190.0)), "fan-out ≥ 1.25M")[1]
    assert row(targets("fanout", fanout(500.0, 1.0, 306_336.0)), "fan-out ≥ 1.25M")[1] is False
