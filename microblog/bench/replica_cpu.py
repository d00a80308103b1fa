"""CPU time of the processes of a read figure, to tell where a shared machine's cores went:
a process with its children (a PostgreSQL server's postmaster and its backends, the
server's supervisor and its workers), and this process's finished children (wrk). Linux's
``/proc`` and ``getrusage``."""

from __future__ import annotations

import os
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command's name (None: gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def tree_seconds(parent: int) -> float:
    """CPU seconds of a process so far, with the children it has reaped (a backend that
    ended) and those that run now (their own children aside)."""
    own = _stat(parent)
    if own is None:
        return 0.0
    # After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    ticks = sum(int(v) for v in own[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and int(fields[1]) == parent:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def children_seconds() -> float:
    """CPU seconds of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
