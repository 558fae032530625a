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

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PRICING_DATA_DIR") or ".data"),
            redis_url=env.get("REDIS_URL") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            cors_allow_origins=_csv(env.get("CORS_ALLOW_ORIGINS") or "*"),
        )
