"""The seeder's progress on a rich console: the benchmark's terminal output (bench extra)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RichReporter:
    """A progress bar per phase and a line with its duration, on a rich console.

    A ``microblog.store.seed.Reporter``. Used as a context manager it shows its bars live;
    inside another live display (the benchmark's own bar) use it without ``with``: it then
    prints only the line of each phase.
    """

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._name = ""
        self._rows = 0
        self._started = 0.0

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def phase(self, name: str, total: int | None = None) -> None:
        """Close the current phase's line and start a bar for the next."""
        self._close()
        self._name, self._rows, self._started = name, 0, time.perf_counter()
        self._task = self._progress.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        """Move the current bar."""
        self._rows += rows
        if self._task is not None:
            self._progress.advance(self._task, rows)

    def finish(self) -> None:
        """Close the last phase's line."""
        self._close()

    def _close(self) -> None:
        if self._task is None:
            return
        self._progress.remove_task(self._task)
        self._task = None
        rows = f"{self._rows:>12,} rows" if self._rows else " " * 17
        elapsed = time.perf_counter() - self._started
        self._console.print(f"  {self._name:<16}{rows}  {elapsed:8.1f} s")
