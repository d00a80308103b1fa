"""The command line: migrate, and serve's refusals (unmigrated database, development secret)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from microblog.cli import main
from microblog.store import migrate


def test_serve_refuses_an_unmigrated_database_then_migrate_fixes_it(empty_db: str) -> None:
    env = {"MICROBLOG_DATABASE_URL": empty_db, "MICROBLOG_DEV_MODE": "1"}
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "never been migrated" in result.output
    assert "microblog migrate" in result.output

    result = CliRunner().invoke(main, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert migrate.is_up_to_date(empty_db)


def test_serve_refuses_the_development_secret() -> None:
    # None removes the variable, so the development default applies.
    env = {"MICROBLOG_DEV_MODE": "0", "MICROBLOG_SECRET_KEY": None}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert "MICROBLOG_SECRET_KEY" in result.output


def test_unreachable_database_is_reported_plainly() -> None:
    env = {
        "MICROBLOG_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing",
        "MICROBLOG_DEV_MODE": "1",
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output


def test_bad_setting_is_named() -> None:
    result = CliRunner().invoke(main, ["migrate"], env={"MICROBLOG_PAGE_SIZE": "lots"})
    assert result.exit_code == 1
    assert "MICROBLOG_PAGE_SIZE" in result.output


def test_serve_needs_a_public_url_to_listen_on_every_address() -> None:
    env = {"MICROBLOG_SECRET_KEY": "a-long-production-secret", "MICROBLOG_PUBLIC_URL": None}
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"], env=env)
    assert result.exit_code == 1
    assert "MICROBLOG_PUBLIC_URL" in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_dev_mode_refuses_to_listen_beyond_loopback(host: str) -> None:
    env = {"MICROBLOG_DEV_MODE": "1", "MICROBLOG_PUBLIC_URL": "http://127.0.0.1:8000"}
    result = CliRunner().invoke(main, ["serve", "--host", host], env=env)
    assert result.exit_code == 1
    assert "loopback only" in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--sizes", "0,3"], "--sizes takes numbers from 1 to 100"),
        (["--sizes", "one"], "--sizes takes numbers from 1 to 100"),
        (["--strategies", "pull,nope"], "--strategies: unknown nope"),
    ],
)
def test_bench_scale_refuses_bad_options_before_measuring(args: list[str], said: str) -> None:
    result = CliRunner().invoke(main, ["bench-scale", *args])
    assert result.exit_code == 1
    assert said in result.output
