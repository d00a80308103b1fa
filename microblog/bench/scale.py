"""``microblog bench-scale``: how cost grows with size. One profile (``social`` by default)
at several multiples of its users and posts (the shape, and so the follows per user, kept),
each measured by ``microblog bench`` without the HTTP figures and the cache, then one report:
``scale.json`` (first-page p99, fan-out lag p99 and feed state per strategy and size),
``scale.md`` and ``scale.png``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from microblog.bench import run as bench_run
from microblog.bench.profiles import Profile
from microblog.bench.report import machine_line

# The write rate whose fan-out lag the figure shows.
LAG_RATE = "100"


def scaled(profile: Profile, size: int) -> Profile:
    """The profile with ``size`` times its users and posts, measured lightly (no more
    samples than the figure needs); size 1 keeps the profile's name, so its database is
    the one ``microblog bench`` generates."""
    plan = dataclasses.replace(
        profile.plan, users=profile.plan.users * size, posts=profile.plan.posts * size
    )
    return dataclasses.replace(
        profile,
        name=profile.name if size == 1 else f"{profile.name}-x{size}",
        plan=plan,
        samples=min(profile.samples, 100),
        write_rates=(int(LAG_RATE),),
        verify_readers=min(profile.verify_readers, 10),
    )


def run(
    profile: Profile,
    sizes: tuple[int, ...],
    strategies: tuple[str, ...],
    admin_url: str,
    redis_url: str,
    out_dir: Path,
    console: Console | None = None,
) -> dict[str, Any]:
    """Measure each size (its reports go to ``out_dir/scale/``), then write the scale
    report into ``out_dir``; the scale figures."""
    runs = []
    for size in sizes:
        options = bench_run.Options(
            profile=scaled(profile, size),
            strategies=strategies,
            caches=(False,),
            admin_url=admin_url,
            redis_url=redis_url,
            out_dir=out_dir / "scale",
            http=False,
        )
        runs.append(bench_run.run(options, console))
    figures = summary(profile.name, sizes, runs)
    write(figures, out_dir)
    return figures


def summary(name: str, sizes: tuple[int, ...], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The scale figures from one benchmark report per size."""
    strategies: dict[str, dict[str, list[Any]]] = {}
    for results in runs:
        for label, f in results["strategies"].items():
            row = strategies.setdefault(
                label, {"first_page_p99_ms": [], "fanout_lag_p99_ms": [], "storage_bytes": []}
            )
            row["first_page_p99_ms"].append(f["first_page_ms"]["p99"])
            lag = (f.get("fanout_lag_ms") or {}).get("by_rate", {}).get(LAG_RATE, {})
            row["fanout_lag_p99_ms"].append(lag.get("p99", 0.0))
            row["storage_bytes"].append(f["storage_bytes"])
    return {
        "profile": name,
        "sizes": list(sizes),
        "users": [r["settings"]["plan"]["users"] for r in runs],
        "posts": [r["settings"]["plan"]["posts"] for r in runs],
        "machine": runs[0]["machine"] if runs else {},
        "measured": machine_line(runs[-1]) if runs else "",
        "strategies": strategies,
    }


def markdown(figures: dict[str, Any]) -> str:
    """The scale figures as tables, one row per strategy, one column per size."""
    sizes = figures["sizes"]
    head = "| strategy | " + " | ".join(
        f"{s}x ({u:,} users, {p:,} posts)"
        for s, u, p in zip(sizes, figures["users"], figures["posts"], strict=True)
    )
    lines = [
        f"# How cost grows: `{figures['profile']}` at {', '.join(f'{s}x' for s in sizes)}",
        "",
        figures["measured"],
        "In process, cache off; first page p99 over every measured reader, fan-out lag p99 at "
        f"{LAG_RATE} posts/s, feed state in PostgreSQL as built. Each size's full report is "
        "in `scale/`.",
    ]
    for key, title, unit in (
        ("first_page_p99_ms", "First page p99 (ms)", 1.0),
        ("fanout_lag_p99_ms", f"Fan-out lag p99 at {LAG_RATE} posts/s (ms)", 1.0),
        ("storage_bytes", "Feed state (MB)", float(1 << 20)),
    ):
        lines += ["", f"## {title}", "", head + " |", "|---" * (1 + len(sizes)) + "|"]
        for name, row in figures["strategies"].items():
            cells = [f"{v / unit:,.2f}" for v in row[key]]
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "Plot: `scale.png`.", ""]
    return "\n".join(lines)


def plot(figures: dict[str, Any], out_dir: Path) -> None:
    """The three figures against size, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    sizes = figures["sizes"]
    for name, row in figures["strategies"].items():
        axes[0].plot(sizes, row["first_page_p99_ms"], "o-", label=name)
        axes[1].plot(sizes, row["fanout_lag_p99_ms"], "o-", label=name)
        axes[2].plot(sizes, [b / (1 << 20) for b in row["storage_bytes"]], "o-", label=name)
    for ax, label in zip(
        axes,
        ("first page p99, ms", f"fan-out lag p99 at {LAG_RATE} posts/s, ms", "feed state, MB"),
        strict=True,
    ):
        ax.set_xlabel(f"size (x the {figures['profile']} profile)")
        ax.set_ylabel(label)
        ax.set_xticks(sizes)
        ax.legend(fontsize=8)
    fig.suptitle(f"{figures['profile']}: how cost grows with size")
    fig.tight_layout()
    fig.savefig(out_dir / "scale.png", dpi=110)
    plt.close(fig)


def write(figures: dict[str, Any], out_dir: Path) -> None:
    """``scale.json``, ``scale.md`` and ``scale.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(figures, indent=2) + "\n")
    (out_dir / "scale.md").write_text(markdown(figures))
    plot(figures, out_dir)
