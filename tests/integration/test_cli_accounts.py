"""``microblog accounts delete USERNAME``: an operator deletes an account, after a prompt
(or with ``--yes``); its removal from feed state is queued for the worker."""

from __future__ import annotations

import psycopg
from click.testing import CliRunner

from microblog.cli import main
from microblog.settings import Settings
from tests.conftest import TEST_REDIS_URL


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "MICROBLOG_DATABASE_URL": settings.database_url,
        "MICROBLOG_REDIS_URL": TEST_REDIS_URL,
        "MICROBLOG_FEED_STRATEGY": "fanout",
        "MICROBLOG_DEV_MODE": "1",
    }


def people(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT username, id FROM users").fetchall()
    return dict(rows)


def test_an_operator_deletes_an_account_after_confirming(settings: Settings) -> None:
    url = settings.database_url
    with psycopg.connect(url) as conn:
        eve, frank = (
            conn.execute(
                "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                (name,),
            ).fetchone()[0]  # type: ignore[index]
            for name in ("eve", "frank")
        )
        conn.execute("INSERT INTO follows (follower_id, followed_id) VALUES (%s, %s)", (frank, eve))
        for text in ("one", "two"):
            conn.execute("INSERT INTO posts (author_id, content) VALUES (%s, %s)", (eve, text))
    env = env_for(settings)

    refused = CliRunner().invoke(main, ["accounts", "delete", "eve"], input="n\n", env=env)
    assert refused.exit_code == 1
    assert "Delete @eve (id" in refused.output
    assert "2 posts, 1 followers" in refused.output
    assert "Aborted" in refused.output
    assert "eve" in people(url)

    done = CliRunner().invoke(main, ["accounts", "delete", "EVE"], input="y\n", env=env)
    assert done.exit_code == 0, done.output
    assert f"deleted @eve (id {eve}) with 2 posts and 1 follows" in done.output
    assert people(url) == {"frank": frank}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)
        assert conn.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'microblog:account_deleted'"
        ).fetchall() == [({"user_id": eve},)]
        assert conn.execute(
            "SELECT following_count FROM users WHERE id = %s", (frank,)
        ).fetchone() == (0,)

    unasked = CliRunner().invoke(main, ["accounts", "delete", "frank", "--yes"], env=env)
    assert unasked.exit_code == 0, unasked.output
    assert "Delete @" not in unasked.output
    assert people(url) == {}


def test_an_unknown_account_is_named_plainly(settings: Settings) -> None:
    result = CliRunner().invoke(
        main, ["accounts", "delete", "nobody", "--yes"], env=env_for(settings)
    )
    assert result.exit_code == 1
    assert "No user called 'nobody'" in result.output
    assert "Traceback" not in result.output
