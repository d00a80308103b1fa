"""OAuth applications, authorization codes and the apps a user authorized (mixed into Microblog)."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn


class AppVerbs:
    """OAuth applications and codes, and the apps a user authorized (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]
