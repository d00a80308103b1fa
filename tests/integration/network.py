"""Random networks written straight into the database, and the feeds they should give."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import psycopg

from microblog.domain.models import FeedMode


@dataclass
class Network:
    """What was inserted: users, posts (id -> (author, parent)) and follows."""

    users: list[int] = field(default_factory=list)
    posts: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    follows: set[tuple[int, int]] = field(default_factory=set)

    def expected(self, reader: int | None, mode: FeedMode) -> list[int]:
        """The reference feed, newest first, computed from the rows in plain Python."""
        followed = {b for a, b in self.follows if a == reader}
        if mode is FeedMode.ALL:
            keep = {pid for pid, (_, parent) in self.posts.items() if parent is None}
        elif mode is FeedMode.MINE:
            keep = {pid for pid, (author, _) in self.posts.items() if author == reader}
        elif mode is FeedMode.FOLLOWING:
            keep = {pid for pid, (author, _) in self.posts.items() if author in followed}
        else:
            authors = followed | {reader}
            keep = {pid for pid, (author, _) in self.posts.items() if author in authors}
        return sorted(keep, reverse=True)


def insert_random_network(
    url: str, rng: random.Random, users: int, posts: int, max_follows: int
) -> Network:
    """Users with 0..max_follows follows each, posts by skewed authors, ~10% replies."""
    net = Network()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            for i in range(users):
                cur.execute(
                    "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                    (f"u{i}_{rng.randrange(10**6)}",),
                )
                row = cur.fetchone()
                assert row is not None
                net.users.append(row[0])
            for a in net.users:
                others = [b for b in net.users if b != a]
                for b in rng.sample(others, rng.randint(0, min(max_follows, len(others)))):
                    net.follows.add((a, b))
            cur.executemany(
                "INSERT INTO follows (follower_id, followed_id) VALUES (%s, %s)",
                sorted(net.follows),
            )
            weights = [rng.paretovariate(1.2) for _ in net.users]
            for _ in range(posts):
                author = rng.choices(net.users, weights)[0]
                parent = None
                if net.posts and rng.random() < 0.1:
                    parent = rng.choice(list(net.posts))
                cur.execute(
                    "INSERT INTO posts (author_id, content, parent_id) VALUES (%s, %s, %s) "
                    "RETURNING id",
                    (author, f"post by {author}", parent),
                )
                row = cur.fetchone()
                assert row is not None
                net.posts[row[0]] = (author, parent)
        conn.execute("ANALYZE")
    return net


def make_active_users(url: str, n: int, prefix: str) -> list[int]:
    """``n`` users named ``<prefix><i>``, active now (so every strategy keeps their feeds)."""
    with psycopg.connect(url) as conn:
        rows = [
            conn.execute(
                "INSERT INTO users (username, password_digest, last_active_at)"
                " VALUES (%s, 'x', now()) RETURNING id",
                (f"{prefix}{i}",),
            ).fetchone()
            for i in range(n)
        ]
    return [row[0] for row in rows if row is not None]
