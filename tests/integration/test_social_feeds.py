"""The social layer's feeds and visibility against a plain Python model of them.

Seeded random histories of posts (every visibility, with mentions and replies),
boosts, unboosts, favourites, deletes, follows, blocks and mutes; each is applied through the
service and to ``Model``, which knows nothing of SQL. Then every reader's four feeds, walked
page by page through the service (and from cursors both ways), must be the model's, under
pull and under pushing strategies with the cache; and every post, profile and thread must
show each reader exactly what the model says they may see.

The model's rules (docs: README, docs/feeds.md):

- home candidates: the reader's own posts and boosts (timeline only) and those of the
  accounts they follow; a direct post only for its author and the accounts it mentions;
  nothing by, or boosted from, an author hidden from the reader (they mute or block them, or
  are blocked by them); no boost by someone else of the reader's own post;
- the boost rule: a boost is left out when what it boosts, or another boost of it, is among
  the 40 candidates just older than it;
- All: public top-level posts (no boosts), less the reader's hidden authors; Mine: every post
  and boost of the reader's;
- who may see a post: its author; anyone for public and unlisted; the author's followers and
  the accounts it mentions for private; the accounts it mentions for direct; never across a
  block either way (with the author, or with the boosted post's author).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest

from microblog.domain.errors import Forbidden, Invalid, NotFound
from microblog.domain.models import FeedMode, Post, Visibility
from microblog.domain.types import Window
from microblog.settings import Settings
from tests.conftest import Runtime, flush_cache, open_test_runtime

FALLOFF = 40  # the model's own copy of the rule's horizon
PUBLIC_LIKE = (Visibility.PUBLIC, Visibility.UNLISTED)


@dataclass
class MPost:
    """A post or boost as the model keeps it."""

    id: int
    author: int
    parent: int | None = None
    visibility: Visibility = Visibility.PUBLIC
    mentions: frozenset[int] = frozenset()
    reblog_of: int | None = None
    reblog_author: int | None = None


@dataclass
class Model:
    """Users, posts, follows, blocks and mutes, and what each reader should see."""

    users: list[int] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)
    posts: dict[int, MPost] = field(default_factory=dict)
    follows: set[tuple[int, int]] = field(default_factory=set)
    blocks: set[tuple[int, int]] = field(default_factory=set)
    mutes: set[tuple[int, int]] = field(default_factory=set)

    # Who sees what ---------------------------------------------------------------------

    def blocked_either(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def hidden(self, reader: int | None) -> set[int]:
        """Authors whose posts and boosts the reader's feeds leave out."""
        if reader is None:
            return set()
        return (
            {b for a, b in self.mutes if a == reader}
            | {b for a, b in self.blocks if a == reader}
            | {a for a, b in self.blocks if b == reader}
        )

    def may_see_row(self, p: MPost, reader: int | None) -> bool:
        """Whether the reader may see this row (a boost's own row, not what it boosts)."""
        if reader is not None and p.author == reader:
            return True
        if reader is not None and any(
            self.blocked_either(reader, a) for a in (p.author, p.reblog_author) if a is not None
        ):
            return False
        if p.visibility in PUBLIC_LIKE:
            return True
        if reader is None:
            return False
        if reader in p.mentions:
            return True
        return p.visibility is Visibility.PRIVATE and (reader, p.author) in self.follows

    def visible(self, post_id: int, reader: int | None) -> bool:
        """Whether ``microblog.post(post_id, reader)`` answers (a boost: and its original)."""
        p = self.posts.get(post_id)
        if p is None or not self.may_see_row(p, reader):
            return False
        return p.reblog_of is None or self.visible(p.reblog_of, reader)

    def original(self, post_id: int) -> MPost | None:
        p = self.posts.get(post_id)
        if p is not None and p.reblog_of is not None:
            return self.posts.get(p.reblog_of)
        return p

    # Feeds -----------------------------------------------------------------------------

    def candidates(self, reader: int, include_self: bool) -> list[int]:
        """A home feed before the boost rule, newest first."""
        hidden = self.hidden(reader)
        followed = {b for a, b in self.follows if a == reader}
        kept = []
        for p in self.posts.values():
            if not ((include_self and p.author == reader) or p.author in followed):
                continue
            direct = p.visibility is Visibility.DIRECT
            if direct and p.author != reader and reader not in p.mentions:
                continue
            if p.author in hidden or p.reblog_author in hidden:
                continue
            if p.reblog_author == reader and p.author != reader:
                continue
            kept.append(p.id)
        return sorted(kept, reverse=True)

    def falloff(self, entries: list[int]) -> list[int]:
        shown = []
        for i, entry in enumerate(entries):
            original = self.posts[entry].reblog_of
            if original is not None:
                older = entries[i + 1 : i + 1 + FALLOFF]
                if any(e == original or self.posts[e].reblog_of == original for e in older):
                    continue
            shown.append(entry)
        return shown

    def feed(self, reader: int | None, mode: FeedMode) -> list[int]:
        """Every id of a feed, newest first."""
        if mode is FeedMode.ALL:
            hidden = self.hidden(reader)
            return sorted(
                (
                    p.id
                    for p in self.posts.values()
                    if p.parent is None
                    and p.reblog_of is None
                    and p.visibility is Visibility.PUBLIC
                    and p.author not in hidden
                ),
                reverse=True,
            )
        if reader is None:
            return []
        if mode is FeedMode.MINE:
            return sorted((p.id for p in self.posts.values() if p.author == reader), reverse=True)
        return self.falloff(self.candidates(reader, mode is FeedMode.TIMELINE))

    def profile(self, author: int, reader: int | None) -> list[int]:
        mine = (p for p in self.posts.values() if p.author == author)
        return sorted((p.id for p in mine if self.may_see_row(p, reader)), reverse=True)

    def thread(self, post_id: int, reader: int | None) -> tuple[list[int], int, list[int]]:
        """(ancestors root first, the post shown, replies in id order), those visible."""
        post = self.original(post_id)
        assert post is not None
        chain: list[int] = []
        parent = post.parent
        while parent is not None and parent in self.posts and len(chain) < 100:
            chain.append(parent)
            parent = self.posts[parent].parent
        below: list[int] = []
        level = [post.id]
        while level:
            level = [p.id for p in self.posts.values() if p.parent in level]
            below += level
        return (
            [a for a in reversed(chain) if self.visible(a, reader)],
            post.id,
            [d for d in sorted(below)[:400] if self.visible(d, reader)],
        )

    def mentions_of(self, content: str, author: int, parent: int | None) -> frozenset[int]:
        named = {self.names[w[1:]] for w in content.split() if w[1:] in self.names}
        if parent is not None:
            named.add(self.posts[parent].author)
        return frozenset(named - {author})


class World:
    """Applies each step through the service and to the model, and checks that the service
    accepted or refused it as the model's rules say."""

    def __init__(self, runtime: Runtime, url: str) -> None:
        self.runtime = runtime
        self.url = url
        self.model = Model()
        self.known: list[int] = []  # every post id handed out, deleted ones too

    def add_users(self, n: int) -> None:
        with psycopg.connect(self.url) as conn:
            for _ in range(n):
                name = f"u{len(self.model.users)}"
                row = conn.execute(
                    "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                    (name,),
                ).fetchone()
                assert row is not None
                self.model.users.append(row[0])
                self.model.names[name] = row[0]

    def user(self, index: object) -> int:
        return self.model.users[int(index) % len(self.model.users)]  # type: ignore[call-overload]

    def post_ref(self, index: object) -> int | None:
        return self.known[int(index) % len(self.known)] if self.known else None  # type: ignore[call-overload]

    async def post(
        self,
        author: int,
        content: str,
        parent: int | None = None,
        visibility: Visibility = Visibility.PUBLIC,
    ) -> Post | None:
        m = self.model
        # A reply to a boost answers the boosted post; both must be the author's to see.
        answered = None if parent is None else m.original(parent)
        allowed = parent is None or (answered is not None and m.visible(parent, author))
        try:
            made = await self.runtime.microblog.create_post(author, content, parent, visibility)
        except NotFound:
            assert not allowed, ("reply refused", parent, author)
            return None
        assert allowed, ("reply allowed", parent, author)
        parent = None if answered is None else answered.id
        assert made.parent_id == parent
        mentions = m.mentions_of(content, author, parent)
        assert {x.id for x in made.mentions} == mentions
        m.posts[made.id] = MPost(made.id, author, parent, visibility, mentions)
        self.known.append(made.id)
        return made

    def _target(self, post_id: int, user: int) -> MPost | None:
        """The post a boost or favourite acts on, if the user may see it (else NotFound)."""
        m = self.model
        if not m.visible(post_id, user):
            return None
        return m.original(post_id)

    async def boost(self, user: int, post_id: int) -> int | None:
        m = self.model
        target = self._target(post_id, user)
        try:
            made = await self.runtime.microblog.reblog(user, post_id)
        except NotFound:
            assert target is None, ("boost refused as unseen", post_id, user)
            return None
        except Forbidden:
            assert target is not None
            own_private = target.visibility is Visibility.PRIVATE and target.author == user
            assert target.visibility not in PUBLIC_LIKE and not own_private
            return None
        assert target is not None, ("boosted an unseen post", post_id, user)
        assert made.reblog is not None and made.reblog.id == target.id
        if made.id not in m.posts:
            assert not any(p.reblog_of == target.id and p.author == user for p in m.posts.values())
            m.posts[made.id] = MPost(
                made.id,
                user,
                visibility=target.visibility,
                reblog_of=target.id,
                reblog_author=target.author,
            )
            self.known.append(made.id)
        return made.id

    async def unboost(self, user: int, post_id: int) -> None:
        m = self.model
        target = self._target(post_id, user)
        try:
            await self.runtime.microblog.unreblog(user, post_id)
        except NotFound:
            assert target is None, ("unboost refused", post_id, user)
            return
        assert target is not None, ("unboosted an unseen post", post_id, user)
        for p in list(m.posts.values()):
            if p.reblog_of == target.id and p.author == user:
                del m.posts[p.id]

    async def favourite(self, user: int, post_id: int) -> None:
        target = self._target(post_id, user)
        try:
            await self.runtime.microblog.favourite(user, post_id)
        except NotFound:
            assert target is None, ("favourite refused", post_id, user)
            return
        assert target is not None, ("favourited an unseen post", post_id, user)

    async def delete(self, post_id: int) -> None:
        m = self.model
        p = m.posts.get(post_id)
        if p is None:
            return
        await self.runtime.microblog.delete_post(p.author, post_id)
        del m.posts[post_id]
        for boost in [b for b in m.posts.values() if b.reblog_of == post_id]:
            del m.posts[boost.id]

    async def relate(self, kind: str, a: int, b: int) -> None:
        m = self.model
        microblog = self.runtime.microblog
        verb = getattr(microblog, kind)
        if a == b:
            if kind in ("follow", "block", "mute"):
                with pytest.raises(Invalid):
                    await verb(a, b)
            return
        if kind == "follow":
            if m.blocked_either(a, b):
                with pytest.raises(Forbidden):
                    await verb(a, b)
                return
            m.follows.add((a, b))
        elif kind == "unfollow":
            m.follows.discard((a, b))
        elif kind == "block":
            m.blocks.add((a, b))
            m.follows -= {(a, b), (b, a)}
        elif kind == "unblock":
            m.blocks.discard((a, b))
        elif kind == "mute":
            m.mutes.add((a, b))
        elif kind == "unmute":
            m.mutes.discard((a, b))
        await verb(a, b)

    async def apply(self, step: tuple[object, ...]) -> None:
        kind = str(step[0])
        if kind == "post":
            author = self.user(step[1])
            parent = None if step[2] is None else self.post_ref(step[2])
            mention = "" if step[4] is None else f" @u{step[4]}"  # u5..u7 do not exist
            await self.post(author, f"hi{mention}", parent, Visibility(str(step[3])))
        elif kind in ("boost", "unboost", "favourite"):
            post_id = self.post_ref(step[2])
            if post_id is not None:
                await getattr(self, kind)(self.user(step[1]), post_id)
        elif kind == "delete":
            post_id = self.post_ref(step[1])
            if post_id is not None:
                await self.delete(post_id)
        elif kind == "read":
            await self.look(*self.model.users)
        elif kind == "drain":
            await self.runtime.drain()
        else:
            a, b = self.user(step[1]), self.user(step[2])
            await self.look(a, b)  # their first pages cached, to see them dropped
            await self.relate(kind, a, b)
            await self.look(a, b)

    async def look(self, *readers: int) -> None:
        """The jobs run, then the readers' first pages (cached ones too) are the model's."""
        await self.runtime.drain()
        for reader in readers:
            for mode in (FeedMode.TIMELINE, FeedMode.FOLLOWING, FeedMode.ALL):
                page = await self.runtime.microblog.feed(reader, mode, Window(), 3)
                want = self.model.feed(reader, mode)[:3]
                assert [p.id for p in page.posts] == want, (reader, mode, "mid-history")


async def walk_feed(runtime: Runtime, reader: int | None, mode: FeedMode, limit: int) -> list[int]:
    """Every id of a feed through the service, page by page by next cursors."""
    ids: list[int] = []
    window = Window()
    for _ in range(300):
        page = await runtime.microblog.feed(reader, mode, window, limit)
        ids += [p.id for p in page.posts]
        if page.next_cursor is None:
            return ids
        window = Window(below=page.next_cursor)
    raise AssertionError("the feed does not end")


def in_window(ids: list[int], w: Window, n: int) -> list[int]:
    inside = [i for i in ids if w.above < i < w.below]
    return inside[-n:] if w.oldest_first else inside[:n]


async def check_feeds(runtime: Runtime, model: Model) -> None:
    """Every feed of every reader (and All for nobody) is the model's: first pages (twice:
    the cache), whole feeds by cursors, and pages from cursors both ways."""
    for reader in [*model.users, None]:
        modes = list(FeedMode) if reader is not None else [FeedMode.ALL]
        for mode in modes:
            want = model.feed(reader, mode)
            for _ in range(2):
                first = await runtime.microblog.feed(reader, mode, Window(), 3)
                assert [p.id for p in first.posts] == want[:3], (reader, mode, "first page")
            assert await walk_feed(runtime, reader, mode, 3) == want, (reader, mode)
            cursors = want[1::3]
            windows = [Window(below=c) for c in cursors]
            windows += [Window(above=c, oldest_first=True) for c in [0, *cursors]]
            for w in windows:
                page = await runtime.microblog.feed(reader, mode, w, 3)
                assert [p.id for p in page.posts] == in_window(want, w, 3), (reader, mode, w)


async def check_visibility(runtime: Runtime, model: Model, known: list[int]) -> None:
    """Posts, profiles and threads show each reader (and nobody) what the model allows."""
    microblog = runtime.microblog
    for reader in [*model.users, None]:
        for post_id in known:
            seen = model.visible(post_id, reader)
            try:
                post = await microblog.post(post_id, reader)
            except NotFound:
                assert not seen, ("post hidden", post_id, reader)
                continue
            assert seen, ("post shown", post_id, reader)
            assert post.id == post_id
            thread = await microblog.thread(post_id, reader)
            above, shown, below = model.thread(post_id, reader)
            assert [p.id for p in thread.ancestors] == above, ("ancestors", post_id, reader)
            assert thread.post.id == shown
            assert [p.id for p in thread.descendants] == below, ("replies", post_id, reader)
        for author in model.users:
            want = model.profile(author, reader)
            got: list[int] = []
            window = Window()
            while True:
                page = await microblog.user_posts(author, window, 3, reader)
                got += [p.id for p in page.posts]
                if page.next_cursor is None:
                    break
                window = Window(below=page.next_cursor)
            assert got == want, ("profile", author, reader)


# The pull strategy (no state, no cache), and pushing ones with the cache, with caps small
# enough that pages and the boost rule's look-back cross the seam to pull.
CONFIGS = [("pull", "off"), ("fanout", "redis"), ("hybrid", "redis")]
SEEDS = 8


def config(base: Settings, strategy: str, cache: str) -> Settings:
    return base.replace(
        feed_strategy=strategy,
        feed_cache=cache,
        feed_cap=4,
        celebrity_followers=3,
        maintenance_seconds=1,
        matview_refresh_seconds=1,
    )


@contextlib.contextmanager
def described(world: World, steps: list[tuple[object, ...]]) -> Iterator[None]:
    """On a failure, the steps and the model's state."""
    try:
        yield
    except AssertionError:
        m = world.model
        print("steps", steps)
        print("users", m.users, "follows", sorted(m.follows))
        print("blocks", sorted(m.blocks), "mutes", sorted(m.mutes))
        for p in sorted(m.posts.values(), key=lambda p: p.id):
            print(p)
        raise


def random_steps(rng: random.Random, n: int) -> list[tuple[object, ...]]:
    """A history of ``n`` steps over 5 users, weighted so that every rule comes up: posts of
    every visibility (some mentioning u0..u6, of whom u5 and u6 do not exist), replies,
    boosts of the same posts, deletes, and blocks, mutes and follows both ways."""

    def user() -> int:
        return rng.randrange(5)

    def post_ref() -> int:
        return rng.randrange(100)

    def post(parent: int | None) -> tuple[object, ...]:
        mention = rng.randrange(7) if rng.random() < 0.4 else None
        return ("post", user(), parent, rng.choice(list(Visibility)).value, mention)

    makers: list[tuple[int, Callable[[], tuple[object, ...]]]] = [
        (25, lambda: post(None)),
        (10, lambda: post(post_ref())),
        (16, lambda: ("boost", user(), post_ref())),
        (4, lambda: ("unboost", user(), post_ref())),
        (4, lambda: ("favourite", user(), post_ref())),
        (6, lambda: ("delete", post_ref())),
        (8, lambda: (rng.choice(["block", "unblock"]), user(), user())),
        (8, lambda: (rng.choice(["mute", "unmute"]), user(), user())),
        (8, lambda: (rng.choice(["follow", "unfollow"]), user(), user())),
        (8, lambda: ("read",)),
        (5, lambda: ("drain",)),
    ]
    weights = [w for w, _ in makers]
    return [rng.choices(makers, weights)[0][1]() for _ in range(n)]


@pytest.mark.parametrize(
    ("strategy", "cache", "seed"),
    [(strategy, cache, seed) for strategy, cache in CONFIGS for seed in range(SEEDS)],
)
async def test_feeds_and_visibility_match_the_model(
    settings: Settings, strategy: str, cache: str, seed: int
) -> None:
    steps = random_steps(random.Random(seed), 45)
    async with open_test_runtime(config(settings, strategy, cache)) as runtime:
        await flush_cache(runtime)
        world = World(runtime, settings.database_url)
        world.add_users(5)
        users = world.model.users
        # Each follows the next two, and has read once (push feeds exist); the steps then
        # follow, unfollow, block and mute.
        for i, a in enumerate(users):
            for b in (users[(i + 1) % 5], users[(i + 2) % 5]):
                await world.relate("follow", a, b)
        for reader in users:
            await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        with described(world, steps):
            for step in steps:
                await world.apply(step)
            await runtime.drain()
            await runtime.engine.maintain()
            await runtime.drain()
            await check_feeds(runtime, world.model)
            if strategy == "pull":  # visibility does not depend on the feed strategy
                await check_visibility(runtime, world.model, world.known)


@pytest.mark.parametrize(("strategy", "cache"), [("pull", "off"), ("fanout", "redis")])
async def test_a_boost_falls_off_after_forty_entries(
    settings: Settings, strategy: str, cache: str
) -> None:
    async with open_test_runtime(config(settings, strategy, cache).replace(feed_cap=10)) as rt:
        await flush_cache(rt)
        world = World(rt, settings.database_url)
        world.add_users(5)
        reader, a, b, c, solo = world.model.users
        for followed in (a, b, c):
            await world.relate("follow", reader, followed)
        await world.relate("follow", solo, b)  # sees b's boosts, not what they boost
        await world.relate("follow", a, b)  # a's own posts, boosted by b
        for who in (reader, solo, a):
            await rt.microblog.feed(who, FeedMode.TIMELINE, Window(), 3)  # push feeds exist

        async def filler(n: int) -> None:
            for i in range(n):
                await world.post(a, f"filler {i}")

        x = await world.post(a, "x")
        y = await world.post(a, "y")
        assert x is not None and y is not None
        await filler(38)  # 39 entries newer than x: y and 38 fillers
        b_x = await world.boost(b, x.id)  # x is the 40th entry older: hidden
        await filler(5)
        c_x = await world.boost(c, x.id)  # x is 46th, but b's boost of it is 6th: hidden
        await filler(40)  # y and x are now more than 40 entries back
        b_y = await world.boost(b, y.id)  # shown: y is far back, no other boost of it
        c_y = await world.boost(c, y.id)  # b's boost of y just before: hidden
        await filler(41)
        await world.unboost(c, x.id)
        c_x2 = await world.boost(c, x.id)  # a new boost, 41 entries after the last of x
        await rt.drain()
        await rt.engine.maintain()
        await rt.drain()

        model = world.model
        timeline = model.feed(reader, FeedMode.TIMELINE)
        assert b_x not in timeline and c_x not in timeline and c_y not in timeline
        assert b_y in timeline and c_x2 in timeline and c_x2 != c_x
        # For a reader who follows b only, b's boosts are all new.
        assert {b_x, b_y} <= set(model.feed(solo, FeedMode.TIMELINE))
        # The author sees no one's boost of their own posts; the boosters see theirs in Mine.
        assert not {b_x, b_y} & set(model.feed(a, FeedMode.TIMELINE))
        assert {b_x, b_y} <= set(model.feed(b, FeedMode.MINE))
        for limit in (1, 3, 20):
            for who in (reader, solo, a):
                for mode in (FeedMode.TIMELINE, FeedMode.FOLLOWING):
                    want = model.feed(who, mode)
                    assert await walk_feed(rt, who, mode, limit) == want, (who, mode, limit)
        await check_feeds(rt, model)


@pytest.mark.parametrize(("strategy", "cache"), [("pull", "off"), ("fanout", "redis")])
async def test_visibility_blocks_and_mutes_step_by_step(
    settings: Settings, strategy: str, cache: str
) -> None:
    async with open_test_runtime(config(settings, strategy, cache)) as rt:
        await flush_cache(rt)
        world = World(rt, settings.database_url)
        world.add_users(4)
        model = world.model
        r, a, c, d = model.users  # u0 reads; u1 writes; u2 boosts; u3 is mentioned
        for follower, followed in ((r, a), (r, c), (a, r)):
            await world.relate("follow", follower, followed)

        async def check() -> None:
            await rt.drain()
            await check_feeds(rt, model)
            await check_visibility(rt, model, world.known)

        async def write(content: str, visibility: Visibility) -> int:
            made = await world.post(a, content, None, visibility)
            assert made is not None
            return made.id

        x = await write("x", Visibility.PUBLIC)
        unlisted = await write("u", Visibility.UNLISTED)
        private = await write("p", Visibility.PRIVATE)
        direct = await write("hi @u0", Visibility.DIRECT)
        direct_other = await write("hi @u2", Visibility.DIRECT)
        private_mention = await write("hi @u3", Visibility.PRIVATE)
        boost = await world.boost(c, x)
        assert boost is not None
        # r's home: a's posts but the direct one to c, and c's boost of x falls off (x is
        # just older); All: x alone.
        home = [private_mention, direct, private, unlisted, x]
        assert model.feed(r, FeedMode.TIMELINE) == home
        assert model.feed(None, FeedMode.ALL) == [x]
        assert not model.visible(private, c) and model.visible(private_mention, d)
        assert not model.visible(direct_other, r) and model.visible(direct, r)
        assert model.visible(unlisted, None) and not model.visible(private, None)
        await check()

        await world.relate("mute", r, a)  # a's posts, and boosts of them, leave r's feeds
        assert model.feed(r, FeedMode.TIMELINE) == []
        assert model.feed(r, FeedMode.ALL) == []
        assert model.visible(private, r)  # a mute hides, it does not forbid
        await check()
        await world.relate("unmute", r, a)
        assert model.feed(r, FeedMode.TIMELINE) == home
        await check()

        await world.relate("block", a, r)  # follows end both ways; nothing crosses
        assert (r, a) not in model.follows and (a, r) not in model.follows
        assert not model.visible(x, r) and not model.visible(boost, r)
        assert model.feed(r, FeedMode.TIMELINE) == []
        await check()
        with pytest.raises(Forbidden):
            await rt.microblog.follow(r, a)
        with pytest.raises(NotFound):
            await rt.microblog.reblog(r, x)

        await world.relate("unblock", a, r)
        # The follow stays ended: r no longer sees a's private posts, and sees c's boost of
        # x, whose original is no longer in r's feed.
        assert not model.visible(private, r) and model.visible(x, r)
        assert model.feed(r, FeedMode.TIMELINE) == [boost]
        await check()
