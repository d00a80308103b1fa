"""Periods of background work as cron lines that run at exactly that period.

A cron field can only step through a minute, an hour or a day evenly: every 90 seconds has
no cron line (``*/90`` of the seconds field is "at second 0"), and rounding it silently ran
upkeep 40 times less often than configured. A period is accepted only when a cron line
keeps it exactly; the settings refuse the others at start-up.
"""

from __future__ import annotations

MINUTE = 60
HOUR = 3600
DAY = 86400


def cron_for(seconds: int) -> str:
    """A cron line (procrastinate's, with a sixth field for seconds) run every ``seconds``.

    ``ValueError`` with the nearest periods that work when there is none.
    """
    if 1 <= seconds < MINUTE and MINUTE % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % MINUTE == 0 and seconds < HOUR and HOUR % seconds == 0:
        return f"*/{seconds // MINUTE} * * * *"
    if seconds % HOUR == 0 and seconds < DAY and DAY % seconds == 0:
        return f"0 */{seconds // HOUR} * * *"
    if seconds == DAY:
        return "0 0 * * *"
    lower, upper = nearest(seconds)
    raise ValueError(
        f"{seconds} seconds cannot be scheduled exactly (it must divide a minute, an hour "
        f"or a day); the nearest periods that can are {lower} and {upper}"
    )


def schedulable(seconds: int) -> bool:
    """Whether a cron line runs every ``seconds`` exactly."""
    try:
        cron_for(seconds)
    except ValueError:
        return False
    return True


def nearest(seconds: int) -> tuple[int, int]:
    """The schedulable periods just below and just above ``seconds`` (within a day)."""
    periods = sorted(
        {s for s in range(1, MINUTE) if MINUTE % s == 0}
        | {m * MINUTE for m in range(1, MINUTE) if MINUTE % m == 0}
        | {h * HOUR for h in range(1, 25) if 24 % h == 0}
    )
    lower = max((p for p in periods if p <= seconds), default=periods[0])
    upper = min((p for p in periods if p >= seconds), default=periods[-1])
    return lower, upper
