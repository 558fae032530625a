"""docker-compose.yml and the Dockerfile, checked by reading them: no Docker engine runs on these machines."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_postgres_18_with_a_health_check_and_the_api_after_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    postgres, api = compose["services"]["postgres"], compose["services"]["api"]
    assert postgres["image"].startswith("postgres:18")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert api["build"] == "."
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in api["environment"]["DATABASE_URL"]
    assert "/health/ready" in " ".join(api["healthcheck"]["test"])


def test_the_api_image_serves_with_the_command_that_migrates_first():
    # tests/test_cli.py shows that `pricing-api serve` migrates and seeds before it serves.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert compose["services"]["api"]["command"][:2] == ["pricing-api", "serve"]
    assert 'CMD ["pricing-api", "serve"' in dockerfile
    assert "COPY alembic ./alembic" in dockerfile


def test_compose_shares_rate_limits_between_workers_through_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    api = compose["services"]["api"]
    assert compose["services"]["redis"]["image"].startswith("redis:")
    assert api["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert api["command"][-2:] == ["--workers", "2"]
