"""Brings the bulk-seeded demo network to the present: its dates relative to now, display
names, and the script's last hours of conversations acted through the service.

The bulk seed (``microblog.store.seed``) is dated in a fixed past, so that the benchmark's
data is the same on every run. ``enliven`` runs once after it, for ``make run`` only: it moves
the seeded posts into the ``BULK_DAYS`` days before the script begins, names every account,
then plays ``script.SCRIPT`` through ``Microblog`` (so mentions, notifications, counters and
every feed strategy's state come out as they do for real users) and finally dates what the
script did as the script says, relative to ``now``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from microblog import seeding
from microblog.demo import names
from microblog.demo.script import ME, OUTSIDERS, SCRIPT, Boost, Favourite, Follow, Write
from microblog.runtime import open_runtime
from microblog.service import Microblog
from microblog.settings import Settings
from microblog.store import demo as store

DEMO_USER_ID = 1
"""The demo user, ``me`` of the script (``user1``, whom ``make run`` announces)."""
FRIEND_IDS = range(2, 8)
"""``f1`` .. ``f6``: users 2..7, whom the script has the demo user follow."""
BULK_DAYS = 14
"""The seeded posts are spread over this many days before the script begins."""
SCRIPT_START = timedelta(minutes=max(step.ago for step in SCRIPT))
BULK_END = SCRIPT_START + timedelta(minutes=5)
"""How long before now the newest seeded post is dated."""


class DemoError(Exception):
    """The database cannot hold the demo (too few users)."""


@dataclass
class DemoReport:
    """What the demo's script made, and how long ``enliven`` took (seconds)."""

    posts: int = 0
    boosts: int = 0
    favourites: int = 0
    follows: int = 0
    cast: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Made:
    """What the script made, with the dates it is to have."""

    posts: list[tuple[int, datetime]] = field(default_factory=list)
    favourites: list[tuple[int, int, datetime]] = field(default_factory=list)
    follows: list[tuple[int, int, datetime]] = field(default_factory=list)


async def enliven(
    settings: Settings, plan: seeding.SeedPlan, now: datetime | None = None
) -> DemoReport:
    """Move the network seeded with ``plan`` to ``now`` (default: the clock), name its
    accounts and play the script (see the module). Run it once, right after the bulk seed."""
    started = time.perf_counter()
    now = datetime.now(UTC) if now is None else now
    report = DemoReport()
    async with open_runtime(settings, pool_max=2) as runtime:
        report.cast = await cast(runtime.microblog, plan)
        async with runtime.pool.connection() as conn:
            start = now - BULK_END - timedelta(days=BULK_DAYS)
            seeded = (seeding.POSTS_START, seeding.EPOCH_END)
            await store.warp(conn, seeded, start, now - BULK_END, active_until=now)
            await store.set_display_names(conn, names.display_names(plan))
        made = await play(runtime.microblog, report, now)
        async with runtime.pool.connection() as conn:
            await store.backdate(conn, made.posts, made.favourites, made.follows)
    report.seconds = time.perf_counter() - started
    return report


async def cast(microblog: Microblog, plan: seeding.SeedPlan) -> dict[str, int]:
    """The user id of each role: the demo user, its friends, and the first users after them
    whom the demo user does not follow."""
    first_outsider = FRIEND_IDS[-1] + 1
    candidates = list(range(first_outsider, plan.users + 1))
    followed = await microblog.following_among(DEMO_USER_ID, candidates)
    outsiders = [user_id for user_id in candidates if user_id not in followed]
    if len(outsiders) < len(OUTSIDERS):
        raise DemoError(
            f"the demo needs at least {first_outsider + len(OUTSIDERS) - 1} users, and "
            f"{len(OUTSIDERS)} of them not followed by user {DEMO_USER_ID}"
        )
    roles = {ME: DEMO_USER_ID}
    roles.update({f"f{n}": user_id for n, user_id in enumerate(FRIEND_IDS, start=1)})
    roles.update(zip(OUTSIDERS, outsiders, strict=False))
    return roles


async def play(microblog: Microblog, report: DemoReport, now: datetime) -> _Made:
    """Act every step of the script through the service, in order."""
    roles = report.cast
    usernames = {role: seeding.username(user_id) for role, user_id in roles.items()}
    written: dict[str, int] = {}
    made = _Made()
    for step in SCRIPT:
        at = now - timedelta(minutes=step.ago)
        match step:
            case Write(author=author, key=key, text=text, reply_to=reply_to):
                parent = None if reply_to is None else written[reply_to]
                content = text.format_map(usernames)
                post = await microblog.create_post(roles[author], content, parent)
                written[key] = post.id
                made.posts.append((post.id, at))
                report.posts += 1
            case Favourite(who=who, key=key):
                await microblog.favourite(roles[who], written[key])
                made.favourites.append((roles[who], written[key], at))
                report.favourites += 1
            case Boost(who=who, key=key):
                boost = await microblog.reblog(roles[who], written[key])
                made.posts.append((boost.id, at))
                report.boosts += 1
            case Follow(who=who, whom=whom):
                await microblog.follow(roles[who], roles[whom])
                made.follows.append((roles[who], roles[whom], at))
                report.follows += 1
    return made
