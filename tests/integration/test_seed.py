"""`microblog seed`: the generated rows, their bulk load, and the schema left as it was."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from click.testing import CliRunner

from microblog import devserver, passwords, seeding
from microblog.cli import main
from microblog.seeding import SeedPlan
from microblog.store import migrate
from microblog.store.seed import SeedError, seed
from tests.conftest import ADMIN_URL, _db_url

PLAN = SeedPlan(users=50, posts=1000, follows_per_user=10, seed=7)
PASSWORD = "s3cret-seed"

MakeDb = Callable[[], str]


@pytest.fixture
def make_db() -> Iterator[MakeDb]:
    """Creates migrated scratch databases on demand; drops them all afterwards."""
    names: list[str] = []

    def make() -> str:
        name = f"microblog_seedtest_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is ours, not input
        names.append(name)
        url = _db_url(name)
        migrate.upgrade(url)
        return url

    try:
        yield make
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _fingerprints(url: str) -> tuple[str, str, str]:
    """md5 of every seeded column (not the password digest: argon2 salts each hash)."""
    return (
        _one(
            url,
            "SELECT md5(string_agg(concat_ws('|', id, username, description, posts_count,"
            " followers_count, following_count, last_active_at, created_at, updated_at),"
            " ',' ORDER BY id)) FROM users",
        ),
        _one(
            url,
            "SELECT md5(string_agg(concat_ws('|', id, author_id, content, parent_id,"
            " created_at, updated_at), ',' ORDER BY id)) FROM posts",
        ),
        _one(
            url,
            "SELECT md5(string_agg(concat_ws('|', follower_id, followed_id, created_at,"
            " updated_at), ',' ORDER BY follower_id, followed_id)) FROM follows",
        ),
    )


def _schema(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Indexes, constraints, triggers and column defaults of the seeded tables."""
    tables = ["users", "posts", "follows", "api_tokens"]
    with psycopg.connect(url) as conn:
        return {
            "indexes": conn.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes"
                " WHERE tablename = ANY(%s) ORDER BY 1, 2",
                (tables,),
            ).fetchall(),
            "constraints": conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
                " convalidated FROM pg_constraint"
                " WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                (tables,),
            ).fetchall(),
            "triggers": conn.execute(
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
                " WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                (tables,),
            ).fetchall(),
            "defaults": conn.execute(
                "SELECT table_name, column_name, column_default FROM information_schema.columns"
                " WHERE table_name = ANY(%s) ORDER BY 1, 2",
                (tables,),
            ).fetchall(),
        }


# The generator alone (no database).


def test_generation_is_deterministic_and_per_table() -> None:
    def rows(plan: SeedPlan) -> tuple[list[Any], list[Any], list[Any]]:
        return list(seeding.users(plan)), list(seeding.posts(plan)), list(seeding.follows(plan))

    assert rows(PLAN) == rows(SeedPlan(50, 1000, 10, 7))
    assert rows(PLAN) != rows(SeedPlan(50, 1000, 10, 8))
    # Each table has its own stream: more posts leave users and follows unchanged.
    more = rows(SeedPlan(50, 2000, 10, 7))
    assert more[0] == rows(PLAN)[0] and more[2] == rows(PLAN)[2]


def test_generated_rows_keep_the_rules() -> None:
    assert all(w.isascii() and w.isalpha() and w.islower() for w in seeding.WORDS)
    posts = list(seeding.posts(PLAN))
    assert [p.id for p in posts] == list(range(1, PLAN.posts + 1))
    assert all(a.created_at < b.created_at for a, b in pairwise(posts))
    assert all(seeding.POSTS_START <= p.created_at < seeding.EPOCH_END for p in posts)
    assert all(1 <= len(p.content) <= seeding.MAX_CONTENT for p in posts)
    assert {p.author_id for p in posts} == set(range(1, PLAN.users + 1))
    for follower, followed in seeding.follows(PLAN):
        assert follower not in followed
        assert followed == sorted(set(followed))
        assert all(1 <= f <= PLAN.users for f in followed)


def test_follows_are_capped_by_the_other_users() -> None:
    plan = SeedPlan(users=5, posts=3, follows_per_user=100)
    assert seeding.follow_counts(plan) == [4] * 5
    assert seeding.total_follows(SeedPlan(users=1, posts=1, follows_per_user=10)) == 0
    assert len({p.author_id for p in seeding.posts(plan)}) == 3  # fewer posts than users


def test_a_plan_cannot_be_negative_or_authorless() -> None:
    with pytest.raises(ValueError):
        SeedPlan(users=-1)
    with pytest.raises(ValueError):
        SeedPlan(users=0, posts=1)


# The load into PostgreSQL.


def test_seed_loads_the_exact_rows(make_db: MakeDb) -> None:
    url = make_db()
    report = seed(url, PLAN, PASSWORD)
    follows = seeding.total_follows(PLAN)
    assert (report.users, report.posts, report.follows) == (50, 1000, follows)
    assert _one(url, "SELECT count(*) FROM users") == 50
    assert _one(url, "SELECT count(*) FROM posts") == 1000
    assert _one(url, "SELECT count(*) FROM follows") == follows
    assert _one(url, "SELECT count(DISTINCT (follower_id, followed_id)) FROM follows") == follows
    assert _one(url, "SELECT count(*) FROM follows WHERE follower_id = followed_id") == 0
    assert _one(url, "SELECT string_agg(username, ',' ORDER BY id) FROM users").startswith(
        "user1,user2,user3,"
    )
    # Replies answer earlier posts, and are about a tenth of all posts.
    assert _one(url, "SELECT count(*) FROM posts WHERE parent_id >= id") == 0
    replies = _one(url, "SELECT count(*) FROM posts WHERE parent_id IS NOT NULL")
    assert 50 <= replies <= 150
    # id order is time order; follows carry the fixed date, not now().
    assert (
        _one(
            url,
            "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back"
            " FROM posts) t WHERE back",
        )
        == 0
    )
    assert _one(url, "SELECT array_agg(DISTINCT created_at) FROM follows") == [seeding.FOLLOWS_AT]
    # Every user shares one digest, and it is a real one.
    digest = _one(url, "SELECT min(password_digest) FROM users")
    assert _one(url, "SELECT count(DISTINCT password_digest) FROM users") == 1
    assert anyio.run(passwords.verify, digest, PASSWORD)


def test_counters_equal_the_real_counts(make_db: MakeDb) -> None:
    url = make_db()
    seed(url, PLAN, PASSWORD)
    wrong = _one(
        url,
        """SELECT count(*) FROM users u
           WHERE posts_count <> (SELECT count(*) FROM posts WHERE author_id = u.id)
              OR following_count <> (SELECT count(*) FROM follows WHERE follower_id = u.id)
              OR followers_count <> (SELECT count(*) FROM follows WHERE followed_id = u.id)""",
    )
    assert wrong == 0
    assert _one(url, "SELECT sum(posts_count) FROM users") == 1000


def test_same_seed_same_data_and_another_seed_differs(make_db: MakeDb) -> None:
    first, second, other = make_db(), make_db(), make_db()
    seed(first, PLAN, PASSWORD)
    seed(second, PLAN, PASSWORD)
    seed(other, SeedPlan(50, 1000, 10, seed=8), PASSWORD)
    assert _fingerprints(first) == _fingerprints(second)
    theirs = _fingerprints(other)
    assert all(a != b for a, b in zip(_fingerprints(first), theirs, strict=True))


def test_indexes_constraints_and_triggers_are_back(make_db: MakeDb) -> None:
    url = make_db()
    before = _schema(url)
    assert before["indexes"] and before["constraints"] and before["triggers"]
    seed(url, PLAN, PASSWORD)
    assert _schema(url) == before


def test_the_database_works_normally_after_seeding(make_db: MakeDb) -> None:
    url = make_db()
    seed(url, PLAN, PASSWORD)
    with psycopg.connect(url) as conn:
        # The identity sequences were moved past the explicit ids.
        row = conn.execute(
            "INSERT INTO users (username, password_digest) VALUES ('newcomer', 'x') RETURNING id"
        ).fetchone()
        assert row == (51,)
        row = conn.execute(
            "INSERT INTO posts (author_id, content) VALUES (51, 'hello') RETURNING id"
        ).fetchone()
        assert row == (1001,)
        conn.execute("INSERT INTO follows (follower_id, followed_id) VALUES (51, 1)")
        # The counter triggers run again.
        counts = conn.execute(
            "SELECT posts_count, following_count FROM users WHERE id = 51"
        ).fetchone()
        assert counts == (1, 1)
        # The foreign keys are checked again.
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO posts (author_id, content) VALUES (999, 'nobody')")


def test_refuses_a_database_with_users_unless_forced(make_db: MakeDb) -> None:
    url = make_db()
    seed(url, PLAN, PASSWORD)
    fingerprints = _fingerprints(url)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO api_tokens (token_hash, user_id) VALUES ('\\x00'::bytea, 1);"
            "INSERT INTO posts (author_id, content) VALUES (1, 'extra')"
        )
    with pytest.raises(SeedError, match="--force"):
        seed(url, PLAN, PASSWORD)
    assert _one(url, "SELECT count(*) FROM posts") == 1001  # untouched

    seed(url, PLAN, PASSWORD, force=True)
    assert _fingerprints(url) == fingerprints
    assert _one(url, "SELECT count(*) FROM api_tokens") == 0


def test_the_seed_command(make_db: MakeDb) -> None:
    url = make_db()
    env = {"MICROBLOG_DATABASE_URL": url}
    args = ["seed", "--users", "20", "--posts", "100", "--follows-per-user", "5"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "seeded 20 users, 100 posts" in result.output
    assert _one(url, "SELECT count(*) FROM posts") == 100

    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1
    assert "--force" in result.output

    result = CliRunner().invoke(main, [*args, "--force", "--seed", "2"], env=env)
    assert result.exit_code == 0, result.output


def test_the_seed_command_needs_a_migrated_database() -> None:
    env = {"MICROBLOG_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing"}
    result = CliRunner().invoke(main, ["seed"], env=env)
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output


# The development server's choice of database.


def test_a_configured_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROBLOG_DATABASE_URL", "postgresql://example/db")
    assert devserver.choose_database() == "postgresql://example/db"


def test_without_postgres_binaries_the_message_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(devserver, "find_postgres_bin", lambda: None)
    with pytest.raises(devserver.DevServerError, match="apt-get install postgresql"):
        devserver.start_private_postgres(tmp_path)


@pytest.mark.skipif(devserver.find_postgres_bin() is None, reason="no initdb/pg_ctl here")
def test_a_private_postgres_starts_is_reused_and_stops() -> None:
    # Not pytest's tmp_path: as root the server runs as another user, who must be able to
    # reach the directory, and pytest's base directory is private to us.
    root = Path(tempfile.mkdtemp(prefix="microblog-devserver-"))
    os.chmod(root, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    cluster = None
    try:
        cluster = devserver.start_private_postgres(root, devserver.free_port(54390))
        devserver.ensure_database(cluster.url())
        url = cluster.url(devserver.DATABASE)
        assert _one(url, "SELECT current_database()") == "microblog"
        assert (cluster.run_dir / f".s.PGSQL.{cluster.port}").exists()
        again = devserver.start_private_postgres(root, devserver.free_port(54390))
        assert again.port == cluster.port
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root)


def test_the_social_shape_has_stars_and_a_long_tail() -> None:
    """Heavy-tailed follows: a few accounts followed by most users, a median near the
    average asked for, and some users who follow far more."""
    plan = SeedPlan(users=400, posts=0, follows_per_user=20, seed=3, shape="social")
    counts = seeding.follow_counts(plan)
    followers: dict[int, int] = {}
    rows = list(seeding.follows(plan))
    for follower, followed in rows:
        assert follower not in followed
        assert followed == sorted(set(followed))
        for f in followed:
            followers[f] = followers.get(f, 0) + 1
    assert [len(f) for _, f in rows] == [c for c in counts if c]
    assert sum(len(f) for _, f in rows) == seeding.total_follows(plan)
    top = sorted(followers.values(), reverse=True)
    assert top[0] > plan.users // 2
    assert 10 <= sorted(counts)[len(counts) // 2] <= 30
    assert max(counts) > 3 * plan.follows_per_user
    assert rows == list(seeding.follows(plan))
