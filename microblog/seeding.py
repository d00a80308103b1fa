"""Deterministic demo and benchmark data: the rows of users, posts and follows, with no I/O.

The same ``SeedPlan`` always gives the same rows: every choice comes from a ``random.Random``
seeded from the plan (never the global generator) and every time is derived from a fixed
epoch, never from the clock. Each table draws from its own stream, so changing the number of
posts does not change who follows whom.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

# The posts are spread over the 90 days before EPOCH_END, the users join in the year before.
EPOCH_END = datetime(2026, 1, 1, tzinfo=UTC)
POSTS_START = EPOCH_END - timedelta(days=90)
USERS_START = POSTS_START - timedelta(days=365)
# Every seeded follow is dated at the start of the posts window, after every user joined.
FOLLOWS_AT = POSTS_START

_POSTS_SPAN_US = (EPOCH_END - POSTS_START) // timedelta(microseconds=1)
_USERS_SPAN_US = (POSTS_START - USERS_START) // timedelta(microseconds=1)
_ACTIVE_SPAN_US = timedelta(days=30) // timedelta(microseconds=1)

REPLY_SHARE = 0.1
# Replies answer one of the posts shortly before them, as conversations do.
REPLY_WINDOW = 1000
MAX_CONTENT = 200
# Pareto shape of the authors' activity: a few users write much more than the rest.
AUTHOR_SKEW = 1.5
SHAPES = ("uniform", "social")
# The social shape: users 1..SOCIAL_STARS are followed by about STAR_SHARE of everyone; the
# other follows go half to accounts by Zipf popularity, half uniformly; follow counts are
# log-normal around the median (follows_per_user); posting is more skewed.
SOCIAL_STARS = 5
STAR_SHARE = 0.6
SOCIAL_AUTHOR_SKEW = 1.1
SOCIAL_SIGMA = 1.0

# Lowercase ASCII letters only: the loader writes them into COPY text without escaping.
_WORD_LIST = """
    the a an and but or so because while when after before again always never today
    tomorrow yesterday morning evening night week weekend coffee tea bread soup garden
    city river mountain forest ocean rain snow sun wind cloud storm light dark music song
    book story film game code bug test build release server database query index cache
    feed timeline post reply follow friend neighbour team project idea plan meeting lunch
    dinner walk run ride train bus bike car road bridge station market shop street park
    cat dog bird fish tree flower leaf stone paper window door table chair lamp kitchen
    new old big small quick slow quiet loud bright warm cold fresh strange simple good
    great tiny long short early late happy tired busy calm curious lucky honest gentle
    read write think wonder build fix break ship learn teach cook bake paint draw sing
    dance travel wait watch listen talk laugh smile sleep dream remember forget try
    is was are were has have had will would can could should might must do did does
    really maybe perhaps almost quite very too just still only even also here there
"""
WORDS: tuple[str, ...] = tuple(dict.fromkeys(_WORD_LIST.split()))
_ENDINGS = (".", ".", ".", ".", "!", "?")


@dataclass(frozen=True)
class SeedPlan:
    """What to generate: how many users and posts, the average follows, and the seed."""

    users: int = 1000
    posts: int = 50_000
    follows_per_user: int = 100
    seed: int = 1
    shape: str = "uniform"
    """``uniform`` (the seed document's network) or ``social`` (heavy-tailed, see below)."""

    def __post_init__(self) -> None:
        if self.users < 0 or self.posts < 0 or self.follows_per_user < 0:
            raise ValueError("users, posts and follows per user must not be negative")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
        if self.posts and not self.users:
            raise ValueError("posts need at least one user to write them")

    def rng(self, table: str) -> random.Random:
        """The random stream of one table (str seeds hash with SHA-512: stable everywhere)."""
        return random.Random(f"microblog-seed:{self.seed}:{table}")


class UserRow(NamedTuple):
    """One seeded user; the counters are left to the loader, which recomputes them."""

    id: int
    username: str
    description: str
    created_at: datetime
    last_active_at: datetime


class PostRow(NamedTuple):
    """One seeded post; created_at increases with id, so id order is time order."""

    id: int
    author_id: int
    content: str
    parent_id: int | None
    created_at: datetime


def username(user_id: int) -> str:
    """The seeded username of a user id (``user1`` .. ``userN``)."""
    return f"user{user_id}"


class _Corpus:
    """A long random text of WORDS; a post is a stretch of it, from a word to a word.

    Two random numbers per post instead of one per word: at 1.5M posts the difference is
    seconds of a load that is otherwise waiting on Python.
    """

    SENTENCE_END = 0.12

    def __init__(self, rng: random.Random, words: int = 100_000) -> None:
        pieces: list[str] = []
        capital = True
        for word in rng.choices(WORDS, k=words):
            piece = word.capitalize() if capital else word
            capital = rng.random() < self.SENTENCE_END
            pieces.append(piece + rng.choice(_ENDINGS) if capital else piece)
        self.text = " ".join(pieces)
        starts = [0]
        for piece in pieces[:-1]:
            starts.append(starts[-1] + len(piece) + 1)
        # Only starts with a full MAX_CONTENT of text after them.
        self.starts = [i for i in starts if i + MAX_CONTENT <= len(self.text)]

    def snippet(self, rng: random.Random, max_length: int) -> str:
        """1..max_length characters of whole words, capitalised, ending in punctuation."""
        start = self.starts[int(rng.random() * len(self.starts))]
        end = start + 1 + int(rng.random() * (max_length - 1))
        text = self.text[start:end]
        if self.text[end] != " ":  # cut inside a word: drop it, unless it is the only one
            head, _, _ = text.rpartition(" ")
            text = head or self.text[start : start + max_length].split(" ", 1)[0][: max_length - 1]
        if text[-1] not in ".!?":
            text += "."
        return text[0].upper() + text[1:]


def users(plan: SeedPlan) -> Iterator[UserRow]:
    """Users 1..N, joined in id order over the year before the posts, active in the last month."""
    rng = plan.rng("users")
    corpus = _Corpus(rng, 2000)
    for i in range(1, plan.users + 1):
        joined = USERS_START + timedelta(microseconds=(i - 1) * _USERS_SPAN_US // plan.users)
        active = EPOCH_END - timedelta(microseconds=rng.randrange(_ACTIVE_SPAN_US))
        description = corpus.snippet(rng, 80) if rng.random() < 0.5 else ""
        yield UserRow(i, username(i), description, joined, active)


def post_authors(plan: SeedPlan) -> list[int]:
    """The author of each post, in post id order: skewed, and everyone writes at least once.

    When there are fewer posts than users, the posts go to distinct random users.
    """
    rng = plan.rng("authors")
    everyone = range(1, plan.users + 1)
    base = list(everyone) if plan.posts >= plan.users else rng.sample(everyone, plan.posts)
    skew = SOCIAL_AUTHOR_SKEW if plan.shape == "social" else AUTHOR_SKEW
    weights = [rng.paretovariate(skew) for _ in everyone]
    authors = base + rng.choices(
        everyone, cum_weights=list(accumulate(weights)), k=plan.posts - len(base)
    )
    rng.shuffle(authors)
    return authors


def posts(plan: SeedPlan) -> Iterator[PostRow]:
    """Posts 1..P over the 90 days before 2026-01-01 UTC; about 10% answer an earlier post."""
    rng = plan.rng("posts")
    corpus = _Corpus(rng)
    for post_id, author_id in enumerate(post_authors(plan), start=1):
        created = POSTS_START + timedelta(microseconds=(post_id - 1) * _POSTS_SPAN_US // plan.posts)
        parent_id = None
        if post_id > 1 and rng.random() < REPLY_SHARE:
            parent_id = rng.randint(max(1, post_id - REPLY_WINDOW), post_id - 1)
        yield PostRow(post_id, author_id, corpus.snippet(rng, MAX_CONTENT), parent_id, created)


def follow_counts(plan: SeedPlan) -> list[int]:
    """How many accounts each user follows (index 0 is user 1).

    Uniform between half and one and a half times the average, capped by the number of other
    users, so the average is ``follows_per_user`` unless the cap bites.
    """
    rng = plan.rng("follow-counts")
    average, others = plan.follows_per_user, max(plan.users - 1, 0)
    if plan.shape == "social":
        # Median follows_per_user, a long tail, at most a quarter of the network.
        mu, most = math.log(max(average, 1)), max(others // 4, min(others, 1))
        return [
            min(max(1, int(rng.lognormvariate(mu, SOCIAL_SIGMA))), most, others)
            for _ in range(plan.users)
        ]
    low, high = average - average // 2, average + average // 2
    return [min(rng.randint(low, high), others) for _ in range(plan.users)]


def follows(plan: SeedPlan) -> Iterator[tuple[int, list[int]]]:
    """(follower, followed ids ascending) for each user with follows, in follower order.

    Grouped per follower rather than one tuple per row: at 25M rows the loader formats each
    group with one join, and the ascending order fills the primary key in its own order.
    """
    if plan.shape == "social":
        yield from _social_follows(plan)
        return
    rng = plan.rng("follows")
    others = range(1, plan.users)  # drawn as 1..N-1, then shifted past the follower itself
    for follower, count in enumerate(follow_counts(plan), start=1):
        if not count:
            continue
        picked = rng.sample(others, count)
        picked.sort()
        yield follower, [v if v < follower else v + 1 for v in picked]


def _social_follows(plan: SeedPlan) -> Iterator[tuple[int, list[int]]]:
    rng = plan.rng("follows")
    everyone = range(1, plan.users + 1)
    popularity = list(accumulate(1 / u for u in everyone))
    stars = range(1, min(SOCIAL_STARS, plan.users) + 1)
    for follower, count in enumerate(follow_counts(plan), start=1):
        if not count:
            continue
        chosen = {s for s in stars if s != follower and rng.random() < STAR_SHARE}
        chosen = set(sorted(chosen)[:count])
        while len(chosen) < count:
            missing = count - len(chosen)
            picks = rng.choices(everyone, cum_weights=popularity, k=(missing + 1) // 2)
            picks += [rng.randint(1, plan.users) for _ in range(missing // 2)]
            chosen.update(p for p in picks if p != follower)
        picked = sorted(chosen)
        while len(picked) > count:  # the last batch may overshoot: drop deterministically
            picked.pop(int(rng.random() * len(picked)))
        yield follower, picked


def total_follows(plan: SeedPlan) -> int:
    """The exact number of follows ``follows(plan)`` yields."""
    return sum(follow_counts(plan))
