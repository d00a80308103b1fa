"""Writes the replica benchmark's results: ``replicas-<profile>.json`` and ``.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from microblog.bench.report import machine_line


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} ms" if abs(value) < 100 else f"{value:,.0f} ms"


def _bytes(value: float | None) -> str:
    if value is None:
        return "—"
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if abs(value) >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f} B"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _rounds(figures: dict[str, Any]) -> str:
    return " / ".join(f"{r['rps']:,.0f}" for r in figures.get("rounds") or [])


def _cpu(figures: dict[str, Any]) -> str:
    cpu = figures.get("cpu_seconds") or {}
    parts = [cpu.get(name) for name in ("primary", "replica", "server", "wrk")]
    shown = " / ".join("—" if p is None else f"{p:.1f}" for p in parts)
    wall = figures.get("wall_seconds")
    return shown if wall is None else f"{shown} (in {wall:.1f} s)"


def _lag(spread: dict[str, Any]) -> str:
    return f"{_ms(spread['p50'])} / {_ms(spread['p99'])} / {_ms(spread['max'])}"


def _head(results: dict[str, Any]) -> list[str]:
    s, plan, setup = results["settings"], results["settings"]["plan"], results["setup"]
    load = results.get("load_average") or {}
    before, after = load.get("before") or [None], load.get("after") or [None]
    pg = s["postgres"]
    mix = ", ".join(f"{n}% {name.replace('_', ' ')}" for name, n in s["mix_percent"].items())
    return [
        f"# Read replicas: `{results['profile']}` profile",
        "",
        machine_line(results),
        f"Load average (1 min) before / after the run: {before[0]:.2f} / {after[0]:.2f}: the "
        "primary, the replica, the server, wrk and the harness share these cores with any "
        "other work on the machine.",
        f"Data: {plan['users']:,} users, {plan['posts']:,} posts, "
        f"{plan['follows_per_user']:,} follows per user ({plan['shape']}), "
        f"{plan['inactive_share']:.0%} inactive; database {_bytes(setup['database_bytes'])}; "
        f"seeded in {setup['seed_seconds']:g} s; replica copied (`pg_basebackup`) and caught "
        f"up in {setup['replica_copy_seconds']:g} s.",
        f"Settings: a private PostgreSQL primary and one streaming replica on loopback "
        f"(fsync {pg['fsync']}, wal_level {pg['wal_level']}, hot_standby_feedback "
        f"{pg['hot_standby_feedback']}); `microblog serve` with {s['server_processes']} "
        f"processes (pool of {s['pool_max_per_process']} per process to each server), feed "
        f"cache {s['feed_cache']}, replicas skipped past {s['replica_max_lag_seconds']} s of "
        f"lag; wrk {s['connections']} connections / {s['threads']} threads for "
        f"{s['seconds']:g} s after a warm-up as long, `reads.lua`: {mix}, over "
        f"{s['readers']} readers' tokens and {s['accounts']} accounts.",
    ]


def _reads(results: dict[str, Any]) -> list[str]:
    s = results["settings"]
    lines = [
        "",
        "## Reads with no replica and with one",
        "",
        f"Each configuration ran {len(s['rounds']) // 2} times, in the order "
        f"{', '.join(r.split()[0] for r in s['rounds'])} replicas (a drift of the machine's "
        "other load weighs on both alike): rates and latencies are the means of its rounds "
        "(each round's req/s in brackets), transactions and CPU their sums. "
        "Transactions: committed in the database on each server while the server ran (its "
        "start, the warm-up, the load and its stop); reads run in autocommit, so a request "
        "commits one per statement. Home pages of pull and matview, the public timeline and "
        "accounts' statuses read on the replica; checking the bearer token and recording "
        "activity stay on the primary. CPU: seconds each process took during the load (the "
        "server: its supervisor and workers; a PostgreSQL server: every process of it), "
        f"out of {results['machine']['cores']} cores for the time shown.",
        "",
        "| strategy | replicas | req/s | p50 | p99 | errors | xacts on primary | "
        "xacts on replica | replica's share | CPU s: primary / replica / server / wrk |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results["reads"].items():
        for replicas in ("0", "1"):
            f = figures[replicas]
            lines.append(
                f"| {name} | {replicas} | {f['rps']:,.0f} ({_rounds(f)}) | "
                f"{_ms(f['p50_ms'])} | {_ms(f['p99_ms'])} | {f['errors']} | "
                f"{f['xacts']['primary']:,} | "
                f"{f['xacts']['replica']:,} | {_share(f['replica_share'])} | {_cpu(f)} |"
            )
    return lines


def _lags(results: dict[str, Any]) -> list[str]:
    s = results["settings"]
    lines = [
        "",
        "## Replica lag behind posts",
        "",
        f"Posts through the service (pull; at most {s['writers_in_flight']} in flight) at each "
        f"rate for {s['seconds']:g} s. Per post: from its commit's return to the first replica "
        f"sample (every {s['poll_ms']:g} ms, from a process of its own) showing "
        "`pg_last_wal_replay_lsn()` at or past the primary's `pg_current_wal_insert_lsn()` "
        "read just after that commit.",
        "",
        "| rate asked | achieved | posts | lag p50 / p99 / max | never replayed | WAL per post |",
        "|---|---|---|---|---|---|",
    ]
    for rate, f in results["write_lag"]["by_rate"].items():
        lines.append(
            f"| {rate}/s | {f['achieved_posts_per_s']:g}/s | {f['posts']:,} | "
            f"{_lag(f['lag_ms'])} | {f['never_seen_replayed']} | "
            f"{_bytes(f['wal_bytes_per_post'])} |"
        )
    return lines


def _fanout(results: dict[str, Any]) -> list[str]:
    s = results["settings"]
    lines = [
        "",
        "## Push tables: UNLOGGED (as migrated) and LOGGED",
        "",
        f"Per strategy and case: its feeds built from empty (`feeds rebuild`: what a crash "
        f"costs UNLOGGED tables), then, {s['fanout_rounds']} times, {s['backlog_posts']:,} "
        f"writes ({s['boost_after']} posts, then a boost; each round by its own "
        f"{s.get('authors_per_round', 200)} authors) queued and fanned out by "
        f"{s['worker_concurrency']} workers starting right after a `CHECKPOINT`; entries "
        "counted from the statistics' inserts; entries/s: the median round's (each round's in "
        "brackets); WAL per entry, lag and *behind* over every round. Replica "
        "lag: per sample of the primary's flushed WAL position (`pg_current_wal_flush_lsn()`: "
        "what it can send) during the fan-out, until the replica showed it replayed; "
        "*behind*: the most flushed WAL not yet replayed at a sample.",
        "",
        "| strategy | tables | entries/s | WAL per entry | fan-out WAL | replica lag p50 / "
        "p99 / max | replica behind at most | caught up after | rebuild from empty | "
        "rebuild WAL | state |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, cases in results["fanout"].items():
        for case in ("unlogged", "logged"):
            f = cases[case]
            lines.append(
                f"| {name} | {case.upper()} | {f['entries_per_s']:,.0f} "
                f"({' / '.join(format(r['entries_per_s'], ',.0f') for r in f['rounds'])}) | "
                f"{_bytes(f['wal_bytes_per_entry'])} | {_bytes(f['wal_bytes'])} | "
                f"{_lag(f['replica_lag_ms'])} | {_bytes(f['replica_behind_bytes_max'])} | "
                f"{_ms(f['replica_caught_up_after_ms'])} | {f['build_seconds']:g} s | "
                f"{_bytes(f['build_wal_bytes'])} | {_bytes(f['state_bytes'])} |"
            )
    lines.append("")
    for name, cases in results["fanout"].items():
        switch = cases["set_logged"]
        lines.append(
            f"- {name}: `ALTER TABLE … SET LOGGED` on {', '.join(switch['tables']) or 'nothing'}"
            f" took {switch['seconds']:g} s and wrote {_bytes(switch['wal_bytes'])} of WAL "
            f"(tables {_bytes(switch['table_bytes'])})."
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The three figures with their settings."""
    return "\n".join([*_head(results), *_reads(results), *_lags(results), *_fanout(results), ""])


def write(results: dict[str, Any], out_dir: Path) -> None:
    """``replicas-<profile>.json`` and ``.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = results["name"]
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (out_dir / f"{name}.md").write_text(markdown(results))
