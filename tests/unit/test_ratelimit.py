"""The rate-limit settings, the client address a limit counts by, the wait in words, and the
bound on concurrent password hashing (no server needed)."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.requests import Request

from microblog.domain.errors import Busy
from microblog.passwords import BoundedHashing
from microblog.settings import Settings, SettingsError
from microblog.web.ratelimit import Limiter, open_limiter, wait_text


def test_limits_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"MICROBLOG_RATE_LIMIT_LOGIN": "5/10minutes", "MICROBLOG_RATE_LIMIT_POST": "off"}
    )
    login = settings.rate_limit("login")
    assert login is not None
    assert (login.amount, login.get_expiry()) == (5, 600)
    assert settings.rate_limit("post") is None
    assert settings.rate_limits is True
    assert Settings.from_env({"MICROBLOG_RATE_LIMITS": "off"}).rate_limits is False


@pytest.mark.parametrize("value", ["", "many", "0/minute", "5/fortnight", "1/second;5/minute"])
def test_a_malformed_limit_is_refused_naming_its_variable(value: str) -> None:
    with pytest.raises(SettingsError, match=r"MICROBLOG_RATE_LIMIT_SIGNUP: .* or off"):
        Settings(rate_limit_signup=value).check_limits()


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"rate_limit_storage": "memcached"}, "MICROBLOG_RATE_LIMIT_STORAGE"),
        ({"trusted_proxies": "10.0.0.0/8, proxy.local"}, "MICROBLOG_TRUSTED_PROXIES"),
        ({"password_hash_concurrency": 0}, "MICROBLOG_PASSWORD_HASH_CONCURRENCY"),
        ({"password_hash_wait_ms": -1}, "MICROBLOG_PASSWORD_HASH_WAIT_MS"),
    ],
)
def test_other_limit_settings_are_checked(changes: dict[str, object], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings(**changes).check_limits()  # type: ignore[arg-type]


def test_serving_checks_the_limits() -> None:
    settings = Settings(
        secret_key="a-long-production-secret",
        public_url="http://127.0.0.1:8000",
        rate_limit_ip="lots",
    )
    with pytest.raises(SettingsError, match="MICROBLOG_RATE_LIMIT_IP"):
        settings.check_for_serving()


def test_limits_off_count_nothing() -> None:
    assert open_limiter(Settings(rate_limits=False)).storage is None
    assert open_limiter(Settings(rate_limit_storage="memory")).storage is not None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (5400, "90 minutes"),
        (5401, "2 hours"),
        (10800, "3 hours"),
    ],
)
def test_wait_in_words(seconds: int, words: str) -> None:
    assert wait_text(seconds) == words


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def limiter(trusted: str = "") -> Limiter:
    return open_limiter(Settings(rate_limits=False, trusted_proxies=trusted))


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.7", None, "", "203.0.113.7"),
        ("203.0.113.7", "192.0.2.1", "", "203.0.113.7"),  # not a trusted proxy: ignored
        ("127.0.0.1", "192.0.2.1", "", "127.0.0.1"),  # loopback is no exception
        ("10.0.0.2", "192.0.2.1", "10.0.0.0/8", "192.0.2.1"),
        ("10.0.0.2", "192.0.2.9, 192.0.2.1, 10.0.0.3", "10.0.0.0/8", "192.0.2.1"),
        ("10.0.0.2", "garbage", "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.0/8", "10.0.0.2"),
        ("2001:db8:1:2:aaaa::1", None, "", "2001:db8:1:2::/64"),  # one subscriber's /64
        ("::ffff:203.0.113.7", None, "", "203.0.113.7"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, trusted: str, client: str) -> None:
    assert limiter(trusted).client(request_from(peer, forwarded)) == client


async def test_hashing_beyond_the_bound_waits_then_is_busy() -> None:
    hashing = BoundedHashing(concurrency=1, wait_seconds=0.05)
    first = asyncio.create_task(hashing.hash("correct horse battery"))
    await asyncio.sleep(0.01)  # the first one holds the only slot (~0.15 s of argon2)
    started = time.monotonic()
    with pytest.raises(Busy) as refused:
        await hashing.verify("not-a-digest", "password")
    assert time.monotonic() - started < 0.12
    assert refused.value.status == 503
    assert refused.value.headers == {"Retry-After": "1"}
    digest = await first
    assert await hashing.verify(digest, "correct horse battery")  # a free slot again
    assert hashing.most_running == 1
    assert hashing.running == 0
