"""Writes the streaming benchmark's results: ``streaming-<profile>.json`` and ``.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from microblog.bench.report import machine_line


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} ms" if abs(value) < 100 else f"{value:,.0f} ms"


def _errors(found: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in sorted(found.items())) or "none"


def _row(name: str, figures: dict[str, Any], phase: dict[str, Any]) -> str:
    delay, every, after = phase["delay_ms"], phase["every_follower_ms"], phase["after_response_ms"]
    missed = phase["missed"]
    return (
        f"| {figures['strategy']} | {figures['bus']} | {phase['rate']} "
        f"({phase['achieved_posts_per_s']:g}) | {phase['streams']:,} | "
        f"{phase['followers_per_post']:g} | {phase['expected']:,} | {phase['received']:,} | "
        f"{'**' + format(missed, ',') + '**' if missed else '0'} | {_ms(delay['p50'])} | "
        f"{_ms(delay['p99'])} | {_ms(delay['max'])} | {_ms(every['p50'])} / "
        f"{_ms(every['p99'])} | {_ms(after['p50'])} | {phase['client_cpu_percent']:g}% |"
    )


def markdown(results: dict[str, Any]) -> str:
    """The delays and deliveries of every (strategy, bus) and rate, with the settings."""
    s, plan = results["settings"], results["settings"]["plan"]
    lines = [
        f"# Streaming: `{results['profile']}` profile",
        "",
        machine_line(results),
        f"Data: {plan['users']:,} users, {plan['posts']:,} posts, "
        f"{plan['follows_per_user']:,} follows per user ({plan['shape']}).",
        f"Settings: {s['readers']:,} readers connected to `/api/v1/streaming/user` (asked "
        f"{s['clients_asked']:,}; accounts that follow at least one of {s['authors']} "
        f"authors), each opened by one Python process (uvloop, raw HTTP/1.1) on the same "
        f"cores as the server; posts through `POST /api/v1/statuses`, round-robin over the "
        f"authors, at each rate for {s['seconds_per_rate']:g} s (at most "
        f"{s['posts_in_flight']} in flight), then up to {s['drain_seconds']:g} s for late "
        f"deliveries; `microblog serve` with {s['server_processes']} processes (pool of "
        f"{s['pool_max_per_process']}) and a separate `microblog worker` (concurrency "
        f"{s['worker_concurrency']}); feed cache {s['cache']}; rate limits off.",
        "",
        "Delay: from the post's `created_at` (its transaction's start, so at most its "
        "commit: an upper bound by the transaction's length) to the arrival of the chunk "
        "carrying it on a stream, over every (post, connected follower or author) pair. "
        "*Every follower*: per post, the delay to its last follower. *After answer*: from "
        "the `POST`'s response (after the commit: a lower bound; negative when the event "
        "beat the response). Expected: every connected follower (and the author) hears "
        "every post; *missed* counts pairs that never arrived.",
        "",
        "| strategy | bus | posts/s (achieved) | streams | followers per post | expected | "
        "received | missed | p50 | p99 | max | every follower p50 / p99 | after answer p50 "
        "| client CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results["configurations"].items():
        for phase in figures["phases"].values():
            lines.append(_row(name, figures, phase))
    lines += ["", "## Per configuration", ""]
    for name, figures in results["configurations"].items():
        probe = figures["probe"]
        phases = figures["phases"].values()
        lines.append(
            f"- `{name}`: {figures['streams_opened']:,} streams opened in "
            f"{figures['open_seconds']:g} s (refused: {_errors(figures['streams_refused'])}), "
            f"{probe['streams_ready']:,} heard a probe within {probe['seconds']:g} s; "
            f"POST p50 "
            + " / ".join(f"{_ms(p['post_ms']['p50'])} at {p['rate']}/s" for p in phases)
            + "; POST errors: "
            + "; ".join(f"{_errors(p['post_errors'])} at {p['rate']}/s" for p in phases)
            + "; unexpected or duplicate events: "
            + ", ".join(f"{p['unexpected']} / {p['duplicates']}" for p in phases)
            + f"; streams ended by the server: {figures['streams_ended_by_server']}; "
            f"load average at the end of each rate: "
            + ", ".join(f"{p['load_average']:g}" for p in phases)
            + "."
        )
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out_dir: Path) -> None:
    """``<name>.json`` and ``<name>.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = results["name"]
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (out_dir / f"{name}.md").write_text(markdown(results))
