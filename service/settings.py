"""One frozen settings object, read from the environment once and passed around."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: str, name: str = "SYNC_INTERVAL") -> int:
    """A duration setting: whole seconds, or a number with s, m, h or d ("30m", "6h")."""
    number, unit = (value[:-1], value[-1]) if value[-1:] in _UNITS else (value, "s")
    if not number.isdigit() or int(number) == 0:
        raise ValueError(f"{name}: {value!r} is not a positive number of seconds, or one with s, m, h or d")
    return int(number) * _UNITS[unit]


def _count(name: str, value: str | None, most: int) -> int:
    """A limit from 1 to `most`; unset: `most`."""
    if not value:
        return most
    if not value.strip().isdigit() or not 1 <= int(value) <= most:
        raise ValueError(f"{name}: {value!r} is not a whole number from 1 to {most}")
    return int(value)


def _whole(name: str, value: str, least: int, most: int) -> int:
    if not value.strip().isdigit() or not least <= int(value) <= most:
        raise ValueError(f"{name}: {value!r} is not a whole number from {least} to {most}")
    return int(value)


CATALOGS = ("default", "seed")
POOL_MODES = ("session", "transaction")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _positive(name: str, value: str) -> float:
    """Seconds, as a number ("5", "0.2") or with an s ("5s")."""
    try:
        seconds = float(value.strip().removesuffix("s"))
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{name}: {value!r} is not a number of seconds, such as 5 or 0.2")
    return seconds


@dataclass(frozen=True, slots=True)
class Settings:
    # None means "start the embedded PostgreSQL whose files live in data_dir".
    database_url: str | None = None
    data_dir: Path = Path(".data")
    # A direct connection (never through PgBouncer's transaction pooling) for LISTEN and the webhook deliverers'
    # session locks; None means database_url. What sits behind database_url: "session" (PostgreSQL itself, or
    # PgBouncer's session pooling) or "transaction" (PgBouncer's transaction pooling). docs/deploy.md.
    database_listen_url: str | None = None
    database_pool_mode: str = "session"
    # Streaming replicas that serve reads that may lag and snapshot loads; a replica lagging more than
    # replica_max_lag seconds takes none, and a read with a consistency token waits up to replica_token_wait
    # seconds for a replica to replay it before the primary serves it. docs/deploy.md.
    database_replica_urls: tuple[str, ...] = ()
    replica_max_lag: float = 5.0
    replica_token_wait: float = 0.2
    redis_url: str | None = None
    log_level: str = "INFO"
    # Origins allowed to call public reads and estimates from a browser; "*" means any.
    cors_allow_origins: tuple[str, ...] = field(default=("*",))
    # Loading a catalog is what `serve` does before it serves; tests turn it off.
    load_seed: bool = True
    # Which: "default" (service/catalog/default/catalog.json: the seed and thousands of offerings from the pinned
    # genai-prices and LiteLLM data, loaded again only when the file changes) or "seed" (the six models of the
    # seed, into an empty catalog only).
    catalog: str = "default"
    # Requests per window, per API key (or per client address when anonymous), by kind of route.
    rate_limit_public: str = "600/minute"
    rate_limit_feeds: str = "120/minute"
    rate_limit_write: str = "120/minute"
    # Scheduled sync: `format=url` pairs (service.catalog.importing.sync.parse_sources); empty: no schedule.
    sync_sources: str = ""
    sync_interval_seconds: int = 3600
    # Quotes an anonymous address may store per day; a caller with any valid API key is not counted.
    quota_anonymous_quotes: str = "100/day"
    # How long an anonymous caller's quote is kept (a keyed caller's is kept for good).
    quote_anonymous_retention_seconds: int = 30 * 86_400
    # What one estimate request may ask for (service/estimates/limits.py): batch items, and models of a monthly or
    # project estimate; at most 10,000 each.
    estimate_max_batch_items: int = 10_000
    estimate_max_models: int = 10_000
    # Processes that price big batches outside the serving process's interpreter lock, at `nice` more than it
    # (service/estimates/batch_process.py); 0 prices every batch in the serving process. A Settings made in code
    # (tests) has none, so that an app does not start a process; the environment's default (`serve`, `make run`)
    # is 1. Batch bodies smaller than batch_process_min_bytes (about 600 items) stay in process: a size in bytes,
    # not items, because counting items would mean decoding the body in the serving process, the work moved out.
    batch_processes: int = 0
    batch_process_nice: int = 10
    # And in the kernel's idle class (SCHED_IDLE, Linux) unless turned off: it then runs only on a core nobody else
    # wants, and the serving process takes the core back the moment a request wakes it. At `nice` alone, the kernel's
    # scheduler let it finish its slice first, a few milliseconds (bench.anonymous_flood: 3.4x against 1.0x).
    batch_process_idle: bool = True
    batch_process_min_bytes: int = 65_536
    # Unknown or revoked API keys an address may send per window before it is refused with 429.
    rate_limit_auth_failures: str = "10/minute"
    # What one connection may cost (service/http/server.py): header bytes and count, seconds for a request's
    # headers from its first byte and for its body from its headers, idle seconds between requests, and the
    # connections (and requests in progress) a process takes before answering 503.
    http_max_header_bytes: int = 65_536
    http_max_headers: int = 100
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    http_keepalive_timeout: float = 5.0
    http_max_connections: int = 10_000
    # Networks of the proxies whose Forwarded / X-Forwarded-For headers are believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    webhooks: WebhookSettings = field(default_factory=lambda: WebhookSettings())

    @property
    def listen_url(self) -> str | None:
        return self.database_listen_url or self.database_url

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PRICING_DATA_DIR") or ".data"),
            database_listen_url=env.get("DATABASE_LISTEN_URL") or None,
            database_replica_urls=_csv(env.get("DATABASE_REPLICA_URLS") or ""),
            replica_max_lag=_positive("REPLICA_MAX_LAG", env.get("REPLICA_MAX_LAG") or "5"),
            replica_token_wait=_positive("REPLICA_TOKEN_WAIT", env.get("REPLICA_TOKEN_WAIT") or "0.2"),
            database_pool_mode=_choice("DATABASE_POOL_MODE", env.get("DATABASE_POOL_MODE") or "session", POOL_MODES),
            redis_url=env.get("REDIS_URL") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            cors_allow_origins=_csv(env.get("CORS_ALLOW_ORIGINS") or "*"),
            catalog=_choice("CATALOG", env.get("CATALOG") or "default", CATALOGS),
            rate_limit_public=env.get("RATE_LIMIT_PUBLIC") or "600/minute",
            rate_limit_feeds=env.get("RATE_LIMIT_FEEDS") or "120/minute",
            rate_limit_write=env.get("RATE_LIMIT_WRITE") or "120/minute",
            sync_sources=env.get("SYNC_SOURCES") or "",
            sync_interval_seconds=_seconds((env.get("SYNC_INTERVAL") or "1h").strip()),
            rate_limit_auth_failures=env.get("RATE_LIMIT_AUTH_FAILURES") or "10/minute",
            quota_anonymous_quotes=env.get("QUOTA_ANONYMOUS_QUOTES") or "100/day",
            quote_anonymous_retention_seconds=_seconds((env.get("QUOTE_ANONYMOUS_RETENTION") or "30d").strip(),
                                                       "QUOTE_ANONYMOUS_RETENTION"),
            trusted_proxies=_csv(env.get("TRUSTED_PROXIES") or ""),
            estimate_max_batch_items=_count("ESTIMATE_MAX_BATCH_ITEMS", env.get("ESTIMATE_MAX_BATCH_ITEMS"), 10_000),
            estimate_max_models=_count("ESTIMATE_MAX_MODELS", env.get("ESTIMATE_MAX_MODELS"), 10_000),
            batch_processes=_whole("BATCH_PROCESSES", env.get("BATCH_PROCESSES") or "1", 0, 64),
            batch_process_nice=_whole("BATCH_PROCESS_NICE", env.get("BATCH_PROCESS_NICE") or "10", 0, 19),
            batch_process_idle=_choice("BATCH_PROCESS_IDLE", env.get("BATCH_PROCESS_IDLE") or "1", ("1", "0")) == "1",
            batch_process_min_bytes=_whole("BATCH_PROCESS_MIN_BYTES", env.get("BATCH_PROCESS_MIN_BYTES") or "65536",
                                           0, 2**40),
            http_max_header_bytes=int(env.get("HTTP_MAX_HEADER_BYTES") or 65_536),
            http_max_headers=int(env.get("HTTP_MAX_HEADERS") or 100),
            http_header_timeout=float(env.get("HTTP_HEADER_TIMEOUT") or 10),
            http_body_timeout=float(env.get("HTTP_BODY_TIMEOUT") or 30),
            http_keepalive_timeout=float(env.get("HTTP_KEEPALIVE_TIMEOUT") or 5),
            http_max_connections=int(env.get("HTTP_MAX_CONNECTIONS") or 10_000),
            webhooks=WebhookSettings.from_env(env),
        )


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Webhook delivery (docs/webhooks.md). Durations in seconds; tests shorten them."""

    # The key that encrypts subscription secrets (any string; a SHA-256 of it is the AES key). Without it,
    # subscriptions cannot be created and nothing is delivered.
    encryption_key: str | None = None
    # Loopback, private and link-local targets, and plain http: for tests and closed networks only.
    allow_private_targets: bool = False
    # Deliverer tasks per process (0: this process delivers nothing).
    deliverers: int = 2
    poll_interval: float = 1.0
    timeout: float = 10.0
    backoff_base: float = 5.0
    backoff_max: float = 3600.0
    retry_for: float = 24 * 3600.0  # an event is given up after failing this long
    disable_after: float = 3 * 24 * 3600.0  # a subscription failing this long (no success) is disabled
    rotation_overlap: float = 24 * 3600.0  # the old secret still signs this long after a rotation

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str]) -> WebhookSettings:
        def seconds(name: str, default: float) -> float:
            return float(env.get(name) or default)

        return cls(
            encryption_key=env.get("WEBHOOKS_ENCRYPTION_KEY") or None,
            allow_private_targets=env.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "") in {"1", "true", "yes"},
            deliverers=int(env.get("WEBHOOKS_DELIVERERS") or 2),
            poll_interval=seconds("WEBHOOKS_POLL_INTERVAL", 1.0),
            timeout=seconds("WEBHOOKS_TIMEOUT", 10.0),
            backoff_base=seconds("WEBHOOKS_BACKOFF_BASE", 5.0),
            backoff_max=seconds("WEBHOOKS_BACKOFF_MAX", 3600.0),
            retry_for=seconds("WEBHOOKS_RETRY_FOR", 24 * 3600.0),
            disable_after=seconds("WEBHOOKS_DISABLE_AFTER", 3 * 24 * 3600.0),
            rotation_overlap=seconds("WEBHOOKS_ROTATION_OVERLAP", 24 * 3600.0),
        )
