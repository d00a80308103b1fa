"""Percentiles the way the report states them: p50, p99 and max, in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict


class Spread(TypedDict):
    """A latency distribution."""

    p50: float | None
    p99: float | None
    max: float | None
    n: int


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (0 < q <= 100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> Spread:
    """p50 / p99 / max of a sample (None when empty), rounded to microseconds."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    return {
        "p50": round(percentile(values, 50), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }
