"""The operator's feed tools behind ``microblog feeds rebuild`` and ``microblog feeds verify``.

Both open the one runtime, with the strategy they work on in the serving seat, and ask
that strategy alone: rebuilding one strategy never touches another's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from microblog.feeds.rebuild import rebuild
from microblog.feeds.verify import Report, compare, sample_readers
from microblog.runtime import open_runtime
from microblog.settings import Settings
from microblog.store import users

Progress = Callable[[int], None]
"""Told how many more readers are done."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What a rebuild did: readers built, and what the strategy keeps."""

    strategy: str
    built: int
    state: str

    def __str__(self) -> str:
        if self.state == "none":
            return f"{self.strategy} keeps no feed state: nothing to build"
        if self.state == "shared":
            done = "rebuilt" if self.built else "already built; use --force to rebuild"
            return f"{self.strategy}: state shared by every reader {done}"
        return f"{self.strategy}: built {self.built} feed(s)"


async def run_rebuild(
    settings: Settings,
    strategy_name: str | None,
    username: str | None,
    force: bool,
    start: Callable[[str, int], Progress] | None = None,
) -> Rebuilt:
    """Build a strategy's feeds (everyone's, or one user's); ``start(label, total)`` gives
    the progress callback. ``LookupError`` for an unknown user."""
    async with open_runtime(settings, pool_max=2, strategy=strategy_name) as runtime:
        strategy = runtime.engine.serving
        async with runtime.pool.connection() as conn:
            if username is not None:
                user = await users.by_username(conn, username)
                if user is None:
                    raise LookupError(f"no user called {username!r}")
                readers: list[int] | None = [user.id]
                total = 1
            else:
                readers = None
                total, _ = await users.table_estimates(conn)
        progress = None if start is None else start(f"rebuilding {strategy.name}", total)
        built = await rebuild(runtime.pool, strategy, readers, force, progress)
        return Rebuilt(strategy.name, built, strategy.traits.state)


async def run_verify(
    settings: Settings,
    strategy_name: str | None,
    sample: int,
    seed: int,
    start: Callable[[str, int], Progress] | None = None,
) -> Report:
    """Compare a strategy's pages with pull's for a sample of readers."""
    async with open_runtime(settings, pool_max=2, strategy=strategy_name) as runtime:
        strategy = runtime.engine.serving
        async with runtime.pool.connection() as conn:
            readers = await sample_readers(conn, sample, seed)
        progress = None if start is None else start(f"verifying {strategy.name}", len(readers))
        return await compare(runtime.pool, strategy, runtime.engine.pull, readers, seed, progress)
