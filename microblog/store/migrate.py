"""Apply and inspect the schema migrations (Alembic, plain SQL inside)."""

from __future__ import annotations

from importlib import resources

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def _sqlalchemy_url(database_url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    location = resources.files("microblog") / "migrations"
    config = Config(str(location / "alembic.ini"))
    config.set_main_option("script_location", str(location))
    # Alembic's config is an INI file: '%' must be doubled.
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema."""
    command.upgrade(alembic_config(database_url), "head")


def head_revision() -> str:
    """The newest migration's revision id."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused/"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])


def is_up_to_date(database_url: str) -> bool:
    """True when the database is at the newest migration."""
    return current_revision(database_url) == head_revision()
