"""Runs wrk (Debian's package) against the server on loopback and reads its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_LATENCY = re.compile(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


class WrkMissing(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured (latencies in milliseconds)."""

    p50: float
    p99: float
    max: float
    rps: float
    errors: int


def parse(output: str) -> WrkResult:
    """Read ``wrk --latency`` output."""
    marks = {int(p): float(v) * _UNITS[u] for p, v, u in _PERCENTILE.findall(output)}
    latency = _LATENCY.search(output)
    rps = _RPS.search(output)
    if 50 not in marks or 99 not in marks or latency is None or rps is None:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    errors = _ERRORS.search(output)
    return WrkResult(
        p50=round(marks[50], 3),
        p99=round(marks[99], 3),
        max=round(float(latency.group(1)) * _UNITS[latency.group(2)], 3),
        rps=float(rps.group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )


def run(
    url: str, script: str, seconds: float, connections: int, threads: int, env: dict[str, str]
) -> WrkResult:
    """wrk with one of our Lua scripts; loopback URLs only (the benchmark's rule)."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError("the benchmark only drives servers on loopback")
    binary = shutil.which("wrk")
    if binary is None:
        raise WrkMissing("wrk is needed for the HTTP figures: apt-get install wrk")
    lua = resources.files("microblog.bench") / "lua" / script
    with resources.as_file(lua) as path:
        done = subprocess.run(
            [
                binary,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                str(path),
                url,
            ],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    return parse(done.stdout)
