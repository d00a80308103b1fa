"""Search (accounts, posts, hashtags) and hashtag timelines (mixed into Microblog)."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn


class SearchVerbs:
    """Search (accounts, posts, hashtags) and hashtag timelines (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]
