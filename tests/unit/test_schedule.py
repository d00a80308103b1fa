"""Maintenance periods become cron lines that run at exactly that period, or are refused."""

from __future__ import annotations

import pytest

from microblog.domain.schedule import cron_for, nearest, schedulable
from microblog.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [
        (1, "* * * * * */1"),
        (15, "* * * * * */15"),
        (30, "* * * * * */30"),
        (60, "*/1 * * * *"),
        (120, "*/2 * * * *"),
        (900, "*/15 * * * *"),
        (3600, "0 */1 * * *"),
        (7200, "0 */2 * * *"),
        (6 * 3600, "0 */6 * * *"),
        (86400, "0 0 * * *"),
    ],
)
def test_periods_that_divide_a_minute_an_hour_or_a_day(seconds: int, cron: str) -> None:
    assert cron_for(seconds) == cron


@pytest.mark.parametrize("seconds", [7, 45, 90, 61, 420, 5400, 5 * 3600, 2 * 86400])
def test_other_periods_are_refused_with_the_nearest_that_work(seconds: int) -> None:
    assert not schedulable(seconds)
    lower, upper = nearest(seconds)
    with pytest.raises(ValueError, match=rf"nearest periods that can are {lower} and {upper}"):
        cron_for(seconds)
    assert (schedulable(lower) and schedulable(upper) and lower <= seconds <= upper) or (
        seconds > 86400 and upper == 86400
    )


def test_ninety_seconds_is_refused_at_start_up_not_run_hourly() -> None:
    with pytest.raises(SettingsError, match="MICROBLOG_MAINTENANCE_SECONDS: 90 seconds cannot"):
        Settings(maintenance_seconds=90).check_feeds()
    with pytest.raises(SettingsError, match="MICROBLOG_MAINTENANCE_SECONDS: 90 seconds cannot"):
        Settings.from_env({"MICROBLOG_MAINTENANCE_SECONDS": "90"}).check_feeds()


def test_the_view_refresh_must_be_a_whole_number_of_passes() -> None:
    Settings(maintenance_seconds=60, matview_refresh_seconds=300).check_feeds()
    with pytest.raises(SettingsError, match="must be a multiple of MICROBLOG_MAINTENANCE"):
        Settings(maintenance_seconds=60, matview_refresh_seconds=90).check_feeds()
