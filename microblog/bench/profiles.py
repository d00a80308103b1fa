"""The benchmark's data sets and how hard each is measured (see the benchmark spec)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from microblog.seeding import SeedPlan


@dataclass(frozen=True)
class Profile:
    """A data set, and the sample sizes and durations used to measure it."""

    name: str
    plan: SeedPlan
    inactive_share: float
    samples: int  # in-process reads per reader and figure
    http_seconds: float  # wrk duration per HTTP figure
    write_rates: tuple[int, ...]  # posts/s for the fan-out lag figure
    rate_seconds: float
    backlog_posts: int  # posts fanned out at the limit for the throughput figure
    mixed_seconds: float
    verify_readers: int

    def fingerprint(self) -> str:
        """What identifies the generated data (a reused database must match it)."""
        p = self.plan
        return (
            f"{self.name}:{p.users}:{p.posts}:{p.follows_per_user}:{p.seed}:{p.shape}:"
            f"{self.inactive_share}"
        )


SEED = Profile(
    "seed",
    SeedPlan(10_000, 1_500_000, 2505, 1, "uniform"),
    inactive_share=0.1,
    samples=300,
    http_seconds=3,
    write_rates=(10, 50, 100, 500),
    rate_seconds=6,
    backlog_posts=1000,
    mixed_seconds=10,
    verify_readers=40,
)
PROFILES = {
    "seed": SEED,
    # The same measurements on a heavy-tailed network (median 100 follows, stars, idlers).
    "social": dataclasses.replace(
        SEED,
        name="social",
        plan=SeedPlan(10_000, 1_500_000, 100, 1, "social"),
        inactive_share=0.3,
    ),
    "small": Profile(
        "small",
        SeedPlan(1_000, 50_000, 100, 1, "uniform"),
        inactive_share=0.3,
        samples=100,
        http_seconds=1,
        write_rates=(10, 50),
        rate_seconds=2,
        backlog_posts=100,
        mixed_seconds=3,
        verify_readers=20,
    ),
}
