"""Settings come from MICROBLOG_* variables, each documented in docs/settings.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from microblog.settings import DEV_SECRET, Settings, SettingsError, describe

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_reads_environment() -> None:
    s = Settings.from_env(
        {"MICROBLOG_PAGE_SIZE": "7", "MICROBLOG_DEV_MODE": "yes", "UNRELATED": "x"}
    )
    assert s.page_size == 7
    assert s.dev_mode is True
    assert s.feed_strategy == "pull"


@pytest.mark.parametrize(
    "env", [{"MICROBLOG_PAGE_SIZE": "many"}, {"MICROBLOG_DEV_MODE": "perhaps"}]
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)


LOCAL = "http://127.0.0.1:8000"


def test_development_secret_refused_outside_dev_mode() -> None:
    with pytest.raises(SettingsError, match="MICROBLOG_SECRET_KEY"):
        Settings(public_url=LOCAL).check_for_serving()
    Settings(dev_mode=True, public_url=LOCAL).check_for_serving()
    Settings(secret_key="a-long-production-secret", public_url=LOCAL).check_for_serving()
    assert Settings().secret_key == DEV_SECRET


@pytest.mark.parametrize("url", [LOCAL, "http://localhost:8000", "http://[::1]:8000/"])
def test_dev_mode_serves_on_loopback(url: str) -> None:
    Settings(dev_mode=True, public_url=url).check_for_serving()


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "https://social.example"])
def test_dev_mode_refuses_other_addresses(url: str) -> None:
    with pytest.raises(SettingsError, match="loopback"):
        Settings(dev_mode=True, public_url=url).check_for_serving()
    Settings(secret_key="a-long-production-secret", public_url=url).check_for_serving()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "social.example",
        "ftp://social.example",
        "https://social.example/path",
        "https://social.example/?q=1",
        "https://user@social.example",
    ],
)
def test_the_public_url_must_be_an_origin(url: str) -> None:
    with pytest.raises(SettingsError, match="MICROBLOG_PUBLIC_URL"):
        Settings(secret_key="a-long-production-secret", public_url=url).check_for_serving()


def test_the_origin_has_no_trailing_slash() -> None:
    assert Settings(public_url="https://social.example/").origin == "https://social.example"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [name for name, _, _ in describe() if f"`{name}`" not in text]
    assert not missing, f"undocumented in docs/settings.md: {missing}"
