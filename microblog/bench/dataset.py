"""The benchmark's databases: one per profile, generated once and reused while it matches."""

from __future__ import annotations

import psycopg

from microblog.bench import store as bench_store
from microblog.bench.profiles import Profile
from microblog.store import migrate
from microblog.store import seed as seeder


def database_url(admin_url: str, profile: Profile) -> str:
    """Where a profile's data lives (``microblog_bench_<profile>``)."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/microblog_bench_{profile.name}"


def ensure(admin_url: str, profile: Profile, reporter: seeder.Reporter | None = None) -> str:
    """Create, migrate and fill the profile's database unless it already holds that data."""
    url = database_url(admin_url, profile)
    name = url.rpartition("/")[2]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # our own name, not input
    migrate.upgrade(url)
    if bench_store.fingerprint(url) != profile.fingerprint():
        seeder.seed(url, profile.plan, "password123", force=True, reporter=reporter)
        bench_store.mark(url, profile.fingerprint())
    else:
        bench_store.restore(url)
    # Activity is relative to now, so it is set again on every run.
    bench_store.set_activity(url, profile.inactive_share)
    return url
