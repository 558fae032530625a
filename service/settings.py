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
    webhooks: WebhookSettings = field(default_factory=lambda: WebhookSettings())

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
