"""A replica's lag in seconds, from the primary's WAL positions sampled over time."""

from __future__ import annotations

import math

from microblog.store.replicas import LagClock


def clock(*samples: tuple[float, int]) -> LagClock:
    lag = LagClock()
    for at, lsn in samples:
        lag.add(at, lsn)
    return lag


def test_a_replica_at_the_newest_position_does_not_lag() -> None:
    lag = clock((0.0, 100), (1.0, 200), (2.0, 300))
    assert lag.lag(10.0, 300) == 0.0
    assert lag.lag(10.0, 350) == 0.0  # replayed past the last sample: caught up


def test_an_idle_primary_shows_no_lag_however_long_ago_it_wrote() -> None:
    lag = clock((0.0, 100), (50.0, 100), (100.0, 100))
    assert lag.lag(500.0, 100) == 0.0


def test_lag_is_the_time_since_the_primary_was_where_the_replica_is() -> None:
    lag = clock((0.0, 100), (1.0, 200), (2.0, 300))
    # Replayed to 200: it misses what the primary wrote after the sample at t=1.
    assert lag.lag(2.5, 200) == 1.5
    assert lag.lag(2.5, 250) == 1.5  # between samples: counted from the older one
    assert lag.lag(2.5, 100) == 2.5


def test_a_replica_behind_every_sample_lags_at_least_since_the_oldest() -> None:
    lag = clock((5.0, 100), (6.0, 200))
    assert lag.lag(7.0, 50) == 2.0
    assert lag.lag(25.0, 50) == 20.0  # a monitor running for long: past any limit
    assert math.isinf(LagClock().lag(1.0, 0))
