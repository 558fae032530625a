"""One frozen settings object, read from the environment once and passed around."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    # None means "start the embedded PostgreSQL whose files live in data_dir".
    database_url: str | None = None
    data_dir: Path = Path(".data")
    redis_url: str | None = None
    log_level: str = "INFO"
    # Origins allowed to call public reads and estimates from a browser; "*" means any.
    cors_allow_origins: tuple[str, ...] = field(default=("*",))
    # Loading the seed into an empty catalog is what `serve` does; tests turn it off.
    load_seed: bool = True
    # Requests per window, per API key (or per client address when anonymous), by kind of route.
    rate_limit_public: str = "600/minute"
    rate_limit_feeds: str = "120/minute"
    rate_limit_write: str = "120/minute"
    # Quotes an anonymous address may store per day; a caller with any valid API key is not counted.
    quota_anonymous_quotes: str = "100/day"
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

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PRICING_DATA_DIR") or ".data"),
            redis_url=env.get("REDIS_URL") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            cors_allow_origins=_csv(env.get("CORS_ALLOW_ORIGINS") or "*"),
            rate_limit_public=env.get("RATE_LIMIT_PUBLIC") or "600/minute",
            rate_limit_feeds=env.get("RATE_LIMIT_FEEDS") or "120/minute",
            rate_limit_write=env.get("RATE_LIMIT_WRITE") or "120/minute",
            rate_limit_auth_failures=env.get("RATE_LIMIT_AUTH_FAILURES") or "10/minute",
            quota_anonymous_quotes=env.get("QUOTA_ANONYMOUS_QUOTES") or "100/day",
            trusted_proxies=_csv(env.get("TRUSTED_PROXIES") or ""),
            http_max_header_bytes=int(env.get("HTTP_MAX_HEADER_BYTES") or 65_536),
            http_max_headers=int(env.get("HTTP_MAX_HEADERS") or 100),
            http_header_timeout=float(env.get("HTTP_HEADER_TIMEOUT") or 10),
            http_body_timeout=float(env.get("HTTP_BODY_TIMEOUT") or 30),
            http_keepalive_timeout=float(env.get("HTTP_KEEPALIVE_TIMEOUT") or 5),
            http_max_connections=int(env.get("HTTP_MAX_CONNECTIONS") or 10_000),
        )
