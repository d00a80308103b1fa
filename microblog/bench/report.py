"""Writes a benchmark's results: ``<profile>.json``, ``<profile>.md`` and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_CLAIMS = {
    "feed query": ("50-200 ms", "5-20 ms", "<1 ms (cache) / 10-30 ms (miss)"),
    "post write": ("13-23 ms", "13-23 ms + async fan-out", "13-23 ms + trigger"),
    "fan-out": ("none", "~500 ms for 5,000 followers", "trigger"),
    "storage": ("~2.3 GB (whole database)", "~150 GB", "~225 GB (view) + 1 MB (cache)"),
    "consistency": ("real-time", "real-time", "5 min delay (or trigger-based)"),
}


ORDER = ("pull", "fanout", "matview", "hybrid")
READERS = ("most_follows", "median", "sparse", "fan_of_biggest", "inactive")


def _readers(results: dict[str, Any]) -> list[str]:
    found = list(results["dataset"]["readers"])
    return [r for r in READERS if r in found] + [r for r in found if r not in READERS]


def _ordered(strategies: dict[str, Any]) -> dict[str, Any]:
    """pull first, then fanout, matview, hybrid; each without, then with the cache."""

    def key(label: str) -> tuple[int, str]:
        base = label.split("+")[0]
        return (ORDER.index(base) if base in ORDER else len(ORDER), label)

    return {label: strategies[label] for label in sorted(strategies, key=key)}


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _bytes(value: int | float | None) -> str:
    if value is None:
        return "—"
    if value >= 1 << 30:
        return f"{value / (1 << 30):.2f} GB"
    return f"{value / (1 << 20):.1f} MB"


def _get(figures: dict[str, Any], *path: str) -> Any:
    value: Any = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _mixed(figures: dict[str, Any], floor: dict[str, Any] | None = None) -> str:
    rps, p99 = _get(figures, "mixed_load", "rps"), _get(figures, "mixed_load", "p99_ms")
    if rps is None:
        return "—"
    share = f" ({rps / floor['rps']:.0%} of the floor)" if floor and floor.get("rps") else ""
    return f"{rps:,.0f} req/s, p99 {_ms(p99)}{share}"


def _entries(figures: dict[str, Any]) -> str:
    entries = figures.get("feed_entries")
    if not entries:
        return "—"
    return f"{entries:,} ({figures.get('bytes_per_entry')} B)"


def _worst_reader(figures: dict[str, Any], name: str, stat: str) -> float | None:
    parts = _get(figures, name, "by_reader") or {}
    values = [p[stat] for p in parts.values() if p.get(stat) is not None]
    return max(values) if values else None


def targets(
    name: str, figures: dict[str, Any], floor: dict[str, Any] | None = None
) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for one strategy, from the benchmark spec."""
    rows: list[tuple[str, str, bool | None]] = []

    def check(label: str, value: float | None, limit: float, show: str, below: bool = True) -> None:
        met = None if value is None else (value <= limit if below else value >= limit)
        rows.append((label, show, met))

    first = _worst_reader(figures, "first_page_ms", "p99")
    check("first page p99 ≤ 1 ms in process, every reader", first, 1.0, _ms(first))
    if name == "pull":
        check("pull alone p99 ≤ 15 ms, every reader", first, 15.0, _ms(first))
    http = _worst_reader(figures, "http_first_page_ms", "p99")
    check("first page p99 ≤ 5 ms over HTTP, every reader", http, 5.0, _ms(http))
    authors = _get(figures, "post_create_ms", "by_author") or {}
    create = max((a["p50"] for a in authors.values()), default=None)
    check("post create p50 ≤ 3 ms over HTTP, any author", create, 3.0, _ms(create))
    rate = figures.get("fanout_entries_per_s")
    if rate is not None:
        check(
            "fan-out ≥ 1.25M entries/s (500 posts/s at the seed's density)",
            rate,
            1_250_000,
            f"{rate:,.0f}/s",
            below=False,
        )
        for posts_per_s in ("100", "500"):
            at = _get(figures, "fanout_lag_ms", "by_rate", posts_per_s) or {}
            lag, achieved = at.get("p99"), at.get("achieved_posts_per_s")
            if lag is None:
                continue
            label = f"fan-out lag p99 ≤ 1 s at {posts_per_s} posts/s"
            if achieved is not None and achieved < 0.95 * int(posts_per_s):
                # The writer fell short: the lag says nothing of the rate asked.
                rows.append((label, f"{_ms(lag)} at {achieved:,.0f} posts/s written", False))
            else:
                check(label, lag, 1000.0, _ms(lag))
    state = figures.get("storage_bytes")
    check("feed state ≤ 1 GB", state, float(1 << 30), _bytes(state))
    per_entry = figures.get("bytes_per_entry")
    if per_entry is not None:
        check("feed state ≤ 40 bytes per entry", per_entry, 40.0, f"{per_entry:,.1f} B")
    rps = _get(figures, "mixed_load", "rps")
    p99 = _get(figures, "mixed_load", "p99_ms")
    if rps is not None and p99 is not None:
        rows.append(
            (
                "mixed load ≥ 3,000 req/s with p99 ≤ 20 ms",
                f"{rps:,.0f}/s, p99 {_ms(p99)}",
                rps >= 3000 and p99 <= 20,
            )
        )
        if floor:
            share = rps / floor["rps"]
            check("mixed load ≥ 50% of the floor", share, 0.5, f"{share:.0%}", below=False)
    wrong = figures.get("mismatches")
    rows.append(("pages equal pull's (mismatches = 0)", str(wrong), wrong == 0))
    return rows


def machine_line(results: dict[str, Any]) -> str:
    """When and on what: the line every report (benchmark, soak) starts with."""
    m, v = results["machine"], results["versions"]
    return (
        f"Measured {results.get('finished_at', '')} on {m['cores']} cores, "
        f"{m['memory_bytes'] / (1 << 30):.0f} GiB ({m['cpu']}); PostgreSQL "
        f"{v['postgresql']}, Redis {v['redis']}, Python {v['python']}."
    )


def _floor_lines(floor: dict[str, Any] | None) -> list[str]:
    """The floor of the HTTP stack (``web/floor.py``), the yardstick of the HTTP figures."""
    if not floor:
        return []
    return [
        "",
        f"Floor of the HTTP stack (a fixed 20-status body, no database, no auth, the same "
        f"server and workers, {floor['connections']} connections as the mixed load): "
        f"{floor['rps']:,.0f} req/s, p50 {_ms(floor['p50_ms'])} / p99 "
        f"{_ms(floor['p99_ms'])}. The mixed load below also says its share of it.",
    ]


def markdown(results: dict[str, Any]) -> str:
    """The seed's Part 4.1 table with measured numbers, then the targets."""
    strategies = _ordered(results["strategies"])
    names = list(strategies)
    s = results["settings"]
    plan = s["plan"]
    lines = [
        f"# feedbench: `{results['profile']}` profile",
        "",
        machine_line(results),
        f"Data: {plan['users']:,} users, {plan['posts']:,} posts, "
        f"{plan['follows_per_user']:,} follows per user ({plan['shape']}), "
        f"{plan['inactive_share']:.0%} inactive; database "
        f"{_bytes(results['dataset']['database_bytes'])} before feed state.",
        f"Settings: cap {s['feed_cap']}, matview {s['matview_per_reader']} per reader, "
        f"cache TTL {s['cache_ttl_seconds']} s, server with {s['server_workers']} worker "
        f"processes, {s['samples_per_reader']} in-process samples per reader and figure, "
        f"wrk {s['http_seconds']} s per HTTP figure.",
        *_floor_lines(results.get("floor")),
        "",
        "## The seed's comparison (Part 4.1), claimed and measured",
        "",
        "Latencies are p50 / p99 (ms). In-process reads go through the service (feed query "
        "and hydration); HTTP reads are `GET /api/v1/timelines/home` from wrk, one connection. "
        f"Fan-out figures write {s.get('boost_after', 'no')} posts, then one boost, and again "
        "(a boost is fanned out as a post is).",
        "",
        "| metric | seed: current | seed: fan-out | seed: matview | "
        + " | ".join(f"`{n}`" for n in names)
        + " |",
        "|---" * (4 + len(names)) + "|",
    ]

    def row(label: str, claims: tuple[str, str, str], cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join([*claims, *cells]) + " |")

    def pair(figures: dict[str, Any], name: str) -> str:
        return f"{_ms(_get(figures, name, 'p50'))} / {_ms(_get(figures, name, 'p99'))}"

    none = ("—", "—", "—")
    for label, claims, figure in (
        ("feed query, first page (in process)", SEED_CLAIMS["feed query"], "first_page_ms"),
        ("first page over HTTP", ("105-306 ms total", "—", "—"), "http_first_page_ms"),
        ("later page (cursor)", none, "later_page_ms"),
        ("deep page (~1,000 posts down)", none, "deep_page_ms"),
        ("post write (HTTP, as the author sees it)", SEED_CLAIMS["post write"], "post_create_ms"),
        ("fan-out lag (commit → every feed)", SEED_CLAIMS["fan-out"], "fanout_lag_ms"),
    ):
        row(label, claims, [pair(f, figure) for f in strategies.values()])
    row(
        "fan-out throughput",
        none,
        [
            f"{f['fanout_entries_per_s']:,.0f} entries/s" if f.get("fanout_entries_per_s") else "—"
            for f in strategies.values()
        ],
    )
    row(
        "storage of feed state",
        SEED_CLAIMS["storage"],
        [_bytes(f.get("storage_bytes")) for f in strategies.values()],
    )
    row("feed entries (bytes each)", none, [_entries(f) for f in strategies.values()])
    row(
        "first page right after PostgreSQL restarts",
        none,
        [pair(f, "cold_first_page_ms") for f in strategies.values()],
    )
    floor = results.get("floor")
    row(
        "mixed load 100:1 (16 connections)",
        none,
        [_mixed(f, floor) for f in strategies.values()],
    )
    row(
        "consistency (mismatches with pull)",
        SEED_CLAIMS["consistency"],
        [str(f.get("mismatches")) for f in strategies.values()],
    )
    lines += ["", "## By reader (first page in process, p50 / p99 / max ms)", ""]
    readers = _readers(results)
    lines.append("| strategy | " + " | ".join(readers) + " |")
    lines.append("|---" * (1 + len(readers)) + "|")
    for name, f in strategies.items():
        cells = []
        for reader in readers:
            part = _get(f, "first_page_ms", "by_reader", reader) or {}
            cells.append(
                f"{_ms(part.get('p50'))} / {_ms(part.get('p99'))} / {_ms(part.get('max'))}"
            )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "## Targets (benchmark spec)", ""]
    for name, f in strategies.items():
        lines += [f"### `{name}`", "", "| target | measured | met |", "|---|---|---|"]
        for label, shown, met in targets(name.split("+")[0], f, results.get("floor")):
            mark = "—" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {label} | {shown} | {mark} |")
        lines.append("")
    lines += [
        "Plots: `" + results["profile"] + "-latency.png` (first-page p99 by reader and "
        "strategy), `"
        + results["profile"]
        + "-fanout-lag.png`, `"
        + results["profile"]
        + "-storage.png`. Every figure with its samples is in `"
        + results["profile"]
        + ".json`.",
        "",
    ]
    return "\n".join(lines)


def plots(results: dict[str, Any], out_dir: Path) -> None:
    """Latency by reader and strategy, fan-out lag against write rate, storage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = results["profile"]
    strategies = _ordered(results["strategies"])
    readers = _readers(results)

    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(len(strategies), 1)
    for i, (label, f) in enumerate(strategies.items()):
        values = [(_get(f, "first_page_ms", "by_reader", r, "p99") or 0) for r in readers]
        ax.bar([x + i * width for x in range(len(readers))], values, width, label=label)
    ax.set_xticks([x + width * (len(strategies) - 1) / 2 for x in range(len(readers))], readers)
    ax.set_yscale("log")
    ax.set_ylabel("first page p99, ms (log)")
    ax.set_title(f"{name}: first feed page in process, by reader")
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(out_dir / f"{name}-latency.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, f in strategies.items():
        by_rate = _get(f, "fanout_lag_ms", "by_rate")
        if not by_rate or "+cache" in label:
            continue
        rates = sorted(by_rate, key=int)
        ax.plot(
            [int(r) for r in rates],
            [by_rate[r]["p99"] or 0 for r in rates],
            "o-",
            label=f"{label} p99",
        )
        ax.plot(
            [int(r) for r in rates],
            [by_rate[r]["p50"] or 0 for r in rates],
            "o--",
            label=f"{label} p50",
        )
    ax.set_xlabel("write rate, posts/s")
    ax.set_ylabel("fan-out lag, ms")
    ax.set_title(f"{name}: commit to every follower's feed")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / f"{name}-fanout-lag.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = list(strategies)
    ax.bar(labels, [(strategies[s].get("storage_bytes") or 0) / (1 << 20) for s in labels])
    ax.axhline(1024, color="grey", linestyle="--", linewidth=0.8, label="1 GB target")
    ax.set_ylabel("feed state, MB")
    ax.set_title(f"{name}: storage of feed state")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / f"{name}-storage.png", dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], out_dir: Path) -> None:
    """All three outputs into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = results["profile"]
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (out_dir / f"{name}.md").write_text(markdown(results))
    plots(results, out_dir)
