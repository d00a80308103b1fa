"""All configuration, read once from ``MICROBLOG_*`` environment variables into a frozen object."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many

from microblog.domain import schedule

DEV_SECRET = "dev-secret-change-me"
# The MICROBLOG_RATE_LIMIT_<NAME> limits (see microblog/web/ratelimit.py).
RATE_LIMITS = ("ip", "account", "login", "signup", "post")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _parse(kind: str, raw: str) -> Any:
    if kind == "bool":
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if kind == "int":
        return int(raw)
    return raw


@dataclass(frozen=True)
class Settings:
    """The server's configuration; built by ``Settings.from_env`` and passed in, never global.

    Each field is set by ``MICROBLOG_<FIELD>``; docs/settings.md documents every one (a test
    checks that).
    """

    database_url: str = _setting(
        "postgresql://postgres@127.0.0.1:5432/microblog", "PostgreSQL connection URL."
    )
    database_replica_urls: str = _setting(
        "",
        "Comma-separated PostgreSQL streaming replicas that serve reads (feeds, profiles, "
        "threads, search); empty: the primary serves everything.",
    )
    replica_max_lag_seconds: int = _setting(
        10, "A replica further behind the primary than this is skipped until it catches up."
    )
    database_direct_url: str = _setting(
        "",
        "The primary with no pooler between: LISTEN, the job queue and migrations use it when "
        "MICROBLOG_DATABASE_URL goes through PgBouncer; empty: MICROBLOG_DATABASE_URL.",
    )
    pgbouncer: bool = _setting(
        False,
        "MICROBLOG_DATABASE_URL and the replicas go through PgBouncer in transaction pooling "
        "mode: no prepared statements, no session settings.",
    )
    redis_url: str = _setting("redis://127.0.0.1:6379/0", "Redis connection URL.")
    redis_cluster: bool = _setting(
        False, "MICROBLOG_REDIS_URL names one node of a Redis Cluster (any node)."
    )
    secret_key: str = _setting(
        DEV_SECRET,
        "Signs session cookies and CSRF tokens. The development default is refused unless "
        "MICROBLOG_DEV_MODE is on.",
    )
    dev_mode: bool = _setting(
        False, "Development mode: allows the development secret key, on loopback only."
    )
    feed_strategy: str = _setting(
        "pull", "Feed strategy that serves the feeds: pull, fanout, matview or hybrid."
    )
    feed_rollout_percent: int = _setting(
        100, "Share of readers (stable per reader) served by the strategy; the rest by pull."
    )
    feed_dual_write: str = _setting(
        "", "Comma-separated strategies whose state is maintained besides the serving one."
    )
    feed_cap: int = _setting(800, "Entries kept per pushed feed (fanout, hybrid).")
    feed_chunk: int = _setting(
        200, "Post ids per row of a pushed feed that a build, a backfill or the upkeep writes."
    )
    fanout_batch: int = _setting(
        100, "Most new posts one background job takes from the outbox (fan-out, cache)."
    )
    fanout_large_followers: int = _setting(
        10_000,
        "Posts of authors with at least this many followers fan out on their own queue "
        "(fanout_large), one post per transaction, so that a celebrity's fan-out cannot "
        "hold up everyone else's.",
    )
    feed_cache: str = _setting("off", "Cache of hot first pages: redis or off.")
    live_bus: str = _setting(
        "redis", "What carries live events between processes: redis (pub/sub) or postgres."
    )
    stream_heartbeat_seconds: int = _setting(
        15, "Seconds between the heartbeats of an event stream (streaming API, live pages)."
    )
    feed_cache_ttl_seconds: int = _setting(60, "Lifetime of a cached first page.")
    credentials_cache_seconds: int = _setting(
        30,
        "Seconds a server process remembers what an API token or browser session grants "
        "(revocations reach every process at once over the live bus's carrier; this bounds "
        "a lost message); 0: every request reads the database.",
    )
    active_days: int = _setting(7, "hybrid: readers active within this many days are pushed.")
    celebrity_followers: int = _setting(
        10_000, "hybrid: authors with more followers are merged at read time, not pushed."
    )
    matview_refresh_seconds: int = _setting(
        300,
        "matview: seconds between REFRESH MATERIALIZED VIEW CONCURRENTLY runs (a multiple of "
        "MICROBLOG_MAINTENANCE_SECONDS).",
    )
    matview_per_reader: int = _setting(200, "matview: posts the view holds per reader.")
    maintenance_seconds: int = _setting(
        60,
        "Seconds between feed maintenance passes (trim, retire, celebrities, view refresh); "
        "it must divide a minute, an hour or a day.",
    )
    page_size: int = _setting(20, "Posts per feed page in the HTML pages (the API takes `limit`).")
    db_pool_min: int = _setting(2, "Minimum PostgreSQL connections per server process.")
    db_pool_max: int = _setting(10, "Maximum PostgreSQL connections per server process.")
    run_worker: bool = _setting(
        False, "Run a job queue worker inside each server process (`serve` sets it)."
    )
    worker_heartbeat_seconds: int = _setting(
        10,
        "Seconds between a job worker's heartbeats; one silent for three times as long is "
        "taken for dead and the maintenance pass retries its jobs.",
    )
    secure_cookies: bool = _setting(False, "Mark the session cookie Secure (HTTPS only).")
    session_days: int = _setting(14, "Days a browser session lasts after logging in.")
    public_url: str = _setting(
        "",
        "Scheme, host and port users reach the server at; every absolute URL is built on it "
        "and the Host header is ignored. `serve` sets it from --host/--port when unset.",
    )
    max_body_bytes: int = _setting(
        65_536, "Largest request body accepted (checked before and while it is read)."
    )
    rate_limits: bool = _setting(True, "Rate limits on or off, all of them at once.")
    bench_floor: bool = _setting(
        False, "Serve the benchmark's floor, GET /api/v1/bench/floor (no database, no auth)."
    )
    rate_limit_storage: str = _setting(
        "redis", "Where rate-limit counts live: redis (shared by all processes) or memory."
    )
    rate_limit_key_prefix: str = _setting(
        "microblog:ratelimit", "Prefix of the rate-limit keys in Redis."
    )
    rate_limit_ip: str = _setting(
        "300/5minutes", "Requests without a logged-in user, per client address (or off)."
    )
    rate_limit_account: str = _setting(
        "1500/5minutes", "Requests of a logged-in user or API token, per account (or off)."
    )
    rate_limit_login: str = _setting(
        "25/5minutes", "Log-in attempts per client address and per username (or off)."
    )
    rate_limit_signup: str = _setting("25/30minutes", "Sign-ups per client address (or off).")
    rate_limit_post: str = _setting("300/3hours", "Posts and replies per account (or off).")
    trusted_proxies: str = _setting(
        "", "Comma-separated proxy addresses or networks whose X-Forwarded-For is believed."
    )
    password_hash_concurrency: int = _setting(
        2, "Password hashes or checks running at once per server process (64 MiB each)."
    )
    password_hash_wait_ms: int = _setting(
        2000, "Longest wait for a free hashing slot before answering 503 (milliseconds)."
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``MICROBLOG_*`` variable that is set; bad values raise ``SettingsError``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(env_name(f.name))
            if raw is None:
                continue
            try:
                values[f.name] = _parse(str(f.type), raw)
            except ValueError as exc:
                raise SettingsError(f"{env_name(f.name)}: {exc}") from exc
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def check_for_serving(self) -> None:
        """Refuse settings that are unsafe for a server that others use."""
        if self.secret_key == DEV_SECRET and not self.dev_mode:
            raise SettingsError(
                "MICROBLOG_SECRET_KEY is the development default; set a secret of your own, "
                "or MICROBLOG_DEV_MODE=1 for local development"
            )
        self.check_feeds()
        self.check_origin()
        self.check_limits()
        if len(self.secret_key) < 16:
            raise SettingsError("MICROBLOG_SECRET_KEY must be at least 16 characters")

    def check_origin(self) -> None:
        """Refuse a public URL that is not an origin, and development mode off loopback."""
        if not self.public_url:
            raise SettingsError(
                "MICROBLOG_PUBLIC_URL is not set: the scheme, host and port users reach the "
                "server at (`microblog serve` sets it from --host and --port)"
            )
        url = urlsplit(self.public_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise SettingsError("MICROBLOG_PUBLIC_URL must look like https://example.org[:port]")
        if url.path not in {"", "/"} or url.query or url.fragment or url.username:
            raise SettingsError(
                "MICROBLOG_PUBLIC_URL is an origin (scheme, host, port): no path, query or user"
            )
        if self.dev_mode and not is_loopback(url.hostname):
            raise SettingsError(
                "MICROBLOG_DEV_MODE serves on loopback only (its secret key is public): "
                f"{url.hostname} is not a loopback address"
            )

    @property
    def origin(self) -> str:
        """The public URL without a trailing slash, to put paths after."""
        return self.public_url.rstrip("/")

    def check_feeds(self) -> None:
        """Refuse feed settings out of range."""
        if self.feed_cache not in {"redis", "off"}:
            raise SettingsError("MICROBLOG_FEED_CACHE must be redis or off")
        if self.live_bus not in {"redis", "postgres"}:
            raise SettingsError("MICROBLOG_LIVE_BUS must be redis or postgres")
        if self.credentials_cache_seconds < 0:
            raise SettingsError("MICROBLOG_CREDENTIALS_CACHE_SECONDS must be 0 or more")
        if not 0 <= self.feed_rollout_percent <= 100:
            raise SettingsError("MICROBLOG_FEED_ROLLOUT_PERCENT must be between 0 and 100")
        for name, value in (
            ("MICROBLOG_FEED_CAP", self.feed_cap),
            ("MICROBLOG_FEED_CHUNK", self.feed_chunk),
            ("MICROBLOG_FANOUT_BATCH", self.fanout_batch),
            ("MICROBLOG_FANOUT_LARGE_FOLLOWERS", self.fanout_large_followers),
            ("MICROBLOG_REPLICA_MAX_LAG_SECONDS", self.replica_max_lag_seconds),
            ("MICROBLOG_MATVIEW_PER_READER", self.matview_per_reader),
            ("MICROBLOG_MATVIEW_REFRESH_SECONDS", self.matview_refresh_seconds),
            ("MICROBLOG_MAINTENANCE_SECONDS", self.maintenance_seconds),
            ("MICROBLOG_WORKER_HEARTBEAT_SECONDS", self.worker_heartbeat_seconds),
            ("MICROBLOG_FEED_CACHE_TTL_SECONDS", self.feed_cache_ttl_seconds),
            ("MICROBLOG_ACTIVE_DAYS", self.active_days),
            ("MICROBLOG_CELEBRITY_FOLLOWERS", self.celebrity_followers),
            ("MICROBLOG_SESSION_DAYS", self.session_days),
            ("MICROBLOG_MAX_BODY_BYTES", self.max_body_bytes),
        ):
            if value < 1:
                raise SettingsError(f"{name} must be at least 1")
        try:
            schedule.cron_for(self.maintenance_seconds)
        except ValueError as exc:
            raise SettingsError(f"MICROBLOG_MAINTENANCE_SECONDS: {exc}") from exc
        if self.matview_refresh_seconds % self.maintenance_seconds:
            raise SettingsError(
                f"MICROBLOG_MATVIEW_REFRESH_SECONDS ({self.matview_refresh_seconds}) must be a "
                f"multiple of MICROBLOG_MAINTENANCE_SECONDS ({self.maintenance_seconds}): the "
                "view is refreshed by the maintenance pass"
            )

    def check_limits(self) -> None:
        """Refuse rate limits, proxies and hashing bounds the server cannot work with."""
        if self.rate_limit_storage not in {"redis", "memory"}:
            raise SettingsError("MICROBLOG_RATE_LIMIT_STORAGE must be redis or memory")
        for name in RATE_LIMITS:
            self.rate_limit(name)
        _ = self.trusted_proxy_networks
        if self.password_hash_concurrency < 1:
            raise SettingsError("MICROBLOG_PASSWORD_HASH_CONCURRENCY must be at least 1")
        if self.password_hash_wait_ms < 0:
            raise SettingsError("MICROBLOG_PASSWORD_HASH_WAIT_MS must be 0 or more")

    def rate_limit(self, name: str) -> RateLimitItem | None:
        """The limit ``MICROBLOG_RATE_LIMIT_<NAME>`` sets (``25/5minutes``: 25 in any five
        minutes, in the notation of the ``limits`` library); None when it is ``off``."""
        variable = env_name(f"rate_limit_{name}")
        raw = str(getattr(self, f"rate_limit_{name}")).strip()
        if raw.lower() == "off":
            return None
        try:
            (item,) = parse_many(raw)
        except ValueError:
            item = None
        if item is None or item.amount < 1 or item.get_expiry() < 1:
            raise SettingsError(
                f"{variable}: {raw!r} is not a rate limit; write it as COUNT/[N]UNIT with a "
                "unit of second, minute, hour or day (25/5minutes, 300/3hours), or off"
            )
        return item

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The networks of ``MICROBLOG_TRUSTED_PROXIES``."""
        networks = []
        for entry in self.trusted_proxies.split(","):
            if entry.strip():
                try:
                    networks.append(ipaddress.ip_network(entry.strip(), strict=False))
                except ValueError as exc:
                    raise SettingsError(f"MICROBLOG_TRUSTED_PROXIES: {exc}") from exc
        return tuple(networks)

    @property
    def replica_urls(self) -> list[str]:
        """The replicas of ``MICROBLOG_DATABASE_REPLICA_URLS``."""
        return [u.strip() for u in self.database_replica_urls.split(",") if u.strip()]

    @property
    def direct_url(self) -> str:
        """The primary without a pooler between (``MICROBLOG_DATABASE_DIRECT_URL``)."""
        return self.database_direct_url or self.database_url

    @property
    def dual_write(self) -> list[str]:
        """Strategies maintained besides the serving one."""
        names = [n.strip() for n in self.feed_dual_write.split(",") if n.strip()]
        return [n for n in names if n != self.feed_strategy]


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_name(field_name: str) -> str:
    """The environment variable of a settings field."""
    return "MICROBLOG_" + field_name.upper()


def describe() -> list[tuple[str, Any, str]]:
    """(variable, default, help) for every setting, in declaration order."""
    return [(env_name(f.name), f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]
