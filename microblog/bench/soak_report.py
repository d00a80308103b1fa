"""Writes the soak test's results: ``soak.json`` (every figure and sample) and ``soak.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from microblog.bench.report import machine_line
from microblog.bench.soak_watch import BACKENDS, BACKENDS_PRIVATE, REDIS, SERVER, WORKER

# The memory columns of the table by window, in this order.
COLUMNS = (SERVER, WORKER, BACKENDS_PRIVATE, BACKENDS, REDIS)


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value / (1 << 20):.1f} MB"


def _load(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def _span(window: dict[str, Any], whole_minutes: bool) -> str:
    start, end = window["start"], window["start"] + window["seconds"]
    if whole_minutes:
        return f"{start / 60:.0f} to {end / 60:.0f} min"
    return f"{start:.0f} to {end:.0f} s"


def markdown(results: dict[str, Any]) -> str:
    """The verdict, errors, the load by window and by kind, memory, connections."""
    s, setup, plan = results["settings"], results["setup"], results["settings"]["plan"]
    cache = f"the cache on (TTL {s['cache_ttl_seconds']} s)" if s["cache"] != "off" else "no cache"
    whole = s["window_seconds"] == 60
    unit = "minute" if whole else f"{s['window_seconds']:g} s window"
    lines = [
        f"# Soak: `{s['strategy']}`, {s['minutes']:g} minutes",
        "",
        machine_line(results),
        f"Data: {plan['users']:,} users, {plan['posts']:,} posts, "
        f"{plan['follows_per_user']:,} follows per user ({plan['shape']}), "
        f"{plan['inactive_share']:.0%} inactive; set up in {setup['seconds']:g} s (seeded in "
        f"{setup['seed_seconds']:g} s, feeds built in {setup['build_seconds']:g} s).",
        f"Settings: strategy `{s['strategy']}` with {cache}, cap {s['feed_cap']}; "
        f"`microblog serve` with {s['server_processes']} processes (pool of "
        f"{s['pool_max_per_process']} connections each) and a separate `microblog worker` "
        f"(concurrency {s['worker_concurrency']}); "
        f"{s['connections']} virtual users, one connection each, no pause between requests; "
        f"`MICROBLOG_RATE_LIMITS={s['rate_limits']}`; samples every {s['sample_seconds']:g} s.",
        "Mix (relative weights of the actions): "
        + ", ".join(f"{name} {weight:g}" for name, weight in s["mix"].items())
        + ".",
        "",
        f"**Verdict: {results['verdict']['line']}**",
        "",
        f"{results['requests']:,} requests, {results['rps']:,.1f} req/s on average, latency "
        f"p50 {_ms(results['latency_ms']['p50'])}, p99 {_ms(results['latency_ms']['p99'])}, "
        f"max {_ms(results['latency_ms']['max'])}. CPU used during the load: "
        + ", ".join(f"{name} {value:g} s" for name, value in results["cpu_seconds"].items())
        + f". The machine's load average (1 minute, every process on it) went from "
        f"{_load(results['connections']['load_average_min'])} to "
        f"{_load(results['connections']['load_average_max'])} on "
        f"{results['machine']['cores']} cores.",
        "",
        "## Errors",
        "",
    ]
    if results["errors"]["total"]:
        lines += ["| request | status or error | count |", "|---|---|---|"]
        for row in results["errors"]["by_kind"]:
            lines.append(f"| {row['kind']} | {row['outcome']} | {row['count']:,} |")
    else:
        lines.append("None: every response was a 2xx or 3xx, and no connection failed.")
    lines += [
        "",
        f"## The load by {unit}",
        "",
        "| window | requests | req/s | p50 | p99 | max | errors | load average (max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for w in results["windows"]:
        lines.append(
            f"| {_span(w, whole)} | {w['requests']:,} | {w['rps']:,.1f} | {_ms(w['p50_ms'])} | "
            f"{_ms(w['p99_ms'])} | {_ms(w['max_ms'])} | {w['errors']:,} | "
            f"{_load(w['load_average_max'])} |"
        )
    lines += [
        "",
        "## By kind of request",
        "",
        "| request | count | share | p50 | p99 | max | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, k in results["kinds"].items():
        lines.append(
            f"| {kind} | {k['n']:,} | {k['share']:.1%} | {_ms(k['p50'])} | {_ms(k['p99'])} | "
            f"{_ms(k['max'])} | {k['errors']:,} |"
        )
    lines += [
        "",
        "## Memory (RSS from /proc)",
        "",
        "PostgreSQL backends are the server's and the worker's connections to the soak's "
        "database; their RSS counts the shared buffers each has touched, their private memory "
        "does not. Redis is the whole server (other databases on it count too), so it is "
        f"shown but not judged. Change: the last {unit}'s median against the second's.",
        "",
        "| process | start | end | max | change |",
        "|---|---|---|---|---|",
    ]
    for label, m in results["memory"].items():
        lines.append(
            f"| {label} | {_mb(m['start'])} | {_mb(m['end'])} | {_mb(m['max'])} | "
            f"{_percent(m['change_percent'])} |"
        )
    lines += [
        "",
        f"Median by {unit}:",
        "",
        "| window | " + " | ".join(COLUMNS) + " |",
        "|---" * (1 + len(COLUMNS)) + "|",
    ]
    for w in results["windows"]:
        cells = [_mb(w["rss_median"].get(label)) for label in COLUMNS]
        lines.append(f"| {_span(w, whole)} | " + " | ".join(cells) + " |")
    c = results["connections"]
    lines += [
        "",
        "## PostgreSQL connections and the job backlog",
        "",
        f"Open connections to the database (pg_stat_activity, client backends): {c['start']} "
        f"at the start, {c['end']} at the end, {c['max']} at most. Jobs not finished at the "
        f"end: {c['jobs_end']}; posts waiting for fan-out: {c['outbox_end']}. Server "
        f"processes (the supervisor and those under it): {len(results['server_pids'])} pids "
        "over the run (a process that died and was replaced would add one).",
        "",
        "| window | connections (min, max) | active (max) | idle in transaction (max) | "
        "jobs waiting (max) | outbox (max) |",
        "|---|---|---|---|---|---|",
    ]
    for w in results["windows"]:
        lines.append(
            f"| {_span(w, whole)} | {w['connections_min']}, {w['connections_max']} | "
            f"{w['active_max']} | {w['idle_in_transaction_max']} | {w['jobs_max']} | "
            f"{w['outbox_max']} |"
        )
    lines += ["", "Every figure and sample is in `soak.json`.", ""]
    return "\n".join(lines)


def write(results: dict[str, Any], out_dir: Path) -> None:
    """``soak.json`` and ``soak.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "soak.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (out_dir / "soak.md").write_text(markdown(results))
