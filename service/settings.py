"""One frozen settings object, read from the environment once and passed around."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: str) -> int:
    """SYNC_INTERVAL: whole seconds, or a number with s, m, h or d ("30m", "6h")."""
    number, unit = (value[:-1], value[-1]) if value[-1:] in _UNITS else (value, "s")
    if not number.isdigit() or int(number) == 0:
        raise ValueError(f"SYNC_INTERVAL: {value!r} is not a positive number of seconds, or one with s, m, h or d")
    return int(number) * _UNITS[unit]


CATALOGS = ("default", "seed")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    # None means "start the embedded PostgreSQL whose files live in data_dir".
    database_url: str | None = None
    data_dir: Path = Path(".data")
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

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PRICING_DATA_DIR") or ".data"),
            redis_url=env.get("REDIS_URL") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            cors_allow_origins=_csv(env.get("CORS_ALLOW_ORIGINS") or "*"),
            catalog=_choice("CATALOG", env.get("CATALOG") or "default", CATALOGS),
            rate_limit_public=env.get("RATE_LIMIT_PUBLIC") or "600/minute",
            rate_limit_feeds=env.get("RATE_LIMIT_FEEDS") or "120/minute",
            rate_limit_write=env.get("RATE_LIMIT_WRITE") or "120/minute",
            sync_sources=env.get("SYNC_SOURCES") or "",
            sync_interval_seconds=_seconds((env.get("SYNC_INTERVAL") or "1h").strip()),
        )
