"""The HTTP figures: a real server, driven by wrk on loopback."""

from __future__ import annotations

from typing import Any

from microblog.bench import wrk
from microblog.bench.server import serving
from microblog.settings import Settings


def figures(
    settings: Settings,
    readers: dict[str, int],
    tokens: dict[int, str],
    authors: dict[str, int],
    mixed_tokens: list[str],
    seconds: float,
    mixed_seconds: float,
) -> dict[str, Any]:
    """First page per reader, post create per author, and the 100:1 mixed load."""
    by_reader: dict[str, dict[str, float]] = {}
    by_author: dict[str, dict[str, float]] = {}
    with serving(settings) as url:
        home = f"{url}/api/v1/timelines/home"
        for label, reader in readers.items():
            env = {"MB_TOKEN": tokens[reader]}
            wrk.run(home, "get.lua", 1, 1, 1, env)  # warm up
            result = wrk.run(home, "get.lua", seconds, 1, 1, env)
            by_reader[label] = {"p50": result.p50, "p99": result.p99, "max": result.max}
        for label, author in authors.items():
            result = wrk.run(
                f"{url}/api/v1/statuses", "post.lua", seconds, 1, 1, {"MB_TOKEN": tokens[author]}
            )
            by_author[label] = {"p50": result.p50, "p99": result.p99, "max": result.max}
        mixed = wrk.run(
            home,
            "mixed.lua",
            mixed_seconds,
            MIXED_CONNECTIONS,
            MIXED_THREADS,
            {"MB_TOKENS": ",".join(mixed_tokens)},
        )
    return {
        "http_first_page_ms": {**_worst(by_reader), "by_reader": by_reader},
        "post_create_ms": {**_worst(by_author), "by_author": by_author},
        "mixed_load": {
            "rps": mixed.rps,
            "p99_ms": mixed.p99,
            "p50_ms": mixed.p50,
            "errors": mixed.errors,
            "connections": MIXED_CONNECTIONS,
        },
    }


MIXED_CONNECTIONS = 16
MIXED_THREADS = 2


def floor(settings: Settings, seconds: float) -> dict[str, Any]:
    """The floor of the HTTP stack: a fixed 20-status body with no database and no auth
    (``web/floor.py``), from the same server and workers, measured as the mixed load is."""
    with serving(settings) as url:
        target = f"{url}/api/v1/bench/floor"
        wrk.run(target, "get.lua", 1, MIXED_CONNECTIONS, MIXED_THREADS, {"MB_TOKEN": "none"})
        result = wrk.run(
            target, "get.lua", seconds, MIXED_CONNECTIONS, MIXED_THREADS, {"MB_TOKEN": "none"}
        )
    return {
        "rps": result.rps,
        "p50_ms": result.p50,
        "p99_ms": result.p99,
        "errors": result.errors,
        "connections": MIXED_CONNECTIONS,
    }


def _worst(parts: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """Across readers: the median of their p50s, and the worst p99 and max."""
    if not parts:
        return {"p50": None, "p99": None, "max": None}
    p50s = sorted(p["p50"] for p in parts.values())
    return {
        "p50": p50s[len(p50s) // 2],
        "p99": max(p["p99"] for p in parts.values()),
        "max": max(p["max"] for p in parts.values()),
    }
