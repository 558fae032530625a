"""Importing LiteLLM and genai-prices catalogs: history is never overwritten, and re-importing changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from service.catalog.import_formats import parse_genai_prices, parse_litellm
from service.catalog.importer import apply_import
from service.catalog.seed import load_seed_if_empty
from service.db import migrations
from service.db.engine import make_engine, make_sessionmaker
from service.db.models import Price

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_litellm_entries_become_prices_per_million_tokens_exactly():
    parsed = parse_litellm((FIXTURES / "litellm_small.json").read_bytes())
    by_id = {m.id: m for m in parsed.models}
    assert set(by_id) == {"gpt-4o", "openai-gpt-4o-mini", "deepseek-v4-flash", "gpt-4.1"}
    gpt = by_id["gpt-4o"]
    assert (gpt.provider, gpt.context_window) == ("openai", 128000)
    assert gpt.prices[0].values() == (Decimal("2.5"), Decimal(10), Decimal("1.25"), None)
    assert by_id["deepseek-v4-flash"].prices[0].cache_read_per_mtok == Decimal("0.0028")
    assert parsed.skipped == ["text-embedding-3-small: no input and output price per token"]


def test_genai_prices_keep_base_rates_and_scheduled_changes_and_skip_conditions():
    parsed = parse_genai_prices((FIXTURES / "genai_prices_small.json").read_bytes(), now=NOW)
    by_id = {m.id: m for m in parsed.models}
    assert by_id["claude-sonnet-4-5"].prices[0].values()[:2] == (Decimal(3), Decimal(15))
    future = by_id["claude-future"].prices
    assert [(p.valid_from, p.input_per_mtok) for p in future] == [(None, 4), (datetime(2099, 1, 1, tzinfo=UTC), 2)]
    assert "claude-offpeak" not in by_id and any("claude-offpeak" in s for s in parsed.skipped)


async def test_an_import_adds_new_models_and_only_changed_prices_and_a_reimport_changes_nothing(session):
    parsed = parse_litellm((FIXTURES / "litellm_small.json").read_bytes())
    report = await apply_import(session, parsed, "import:litellm_small.json", NOW)
    assert (report.models_created, report.unchanged) == (2, 1)  # gpt-4o, gpt-4o-mini new; V4-Flash the same
    assert report.prices_added == 3  # the two new models, and GPT-4.1's changed input price
    assert any(line.startswith("~ model gpt-4.1: new period from 2026-11-28") for line in report.changes)
    history = list(await session.scalars(select(Price).where(Price.model_id == "gpt-4.1").order_by(Price.valid_from)))
    assert [(p.input_per_mtok, p.valid_to, p.source) for p in history] == [
        (Decimal(2), NOW, history[0].source), (Decimal("1.8"), None, "import:litellm_small.json")]
    assert history[0].source.startswith("article")  # the old period kept its facts; it was only closed
    count = await session.scalar(select(func.count()).select_from(Price))
    again = await apply_import(session, parsed, "import:litellm_small.json", NOW.replace(hour=13))
    assert (again.models_created, again.prices_added, again.unchanged) == (0, 0, 4)
    assert await session.scalar(select(func.count()).select_from(Price)) == count


async def test_a_genai_prices_import_schedules_future_prices_and_reimports_cleanly(session):
    parsed = parse_genai_prices((FIXTURES / "genai_prices_small.json").read_bytes(), now=NOW)
    report = await apply_import(session, parsed, "import:genai_prices_small.json", NOW)
    assert report.providers_created == 0 and report.models_created == 3 and report.unchanged == 1
    future = list(await session.scalars(
        select(Price).where(Price.model_id == "claude-future").order_by(Price.valid_from)))
    assert [(p.valid_from, p.valid_to, p.input_per_mtok) for p in future] == [
        (NOW, datetime(2099, 1, 1, tzinfo=UTC), Decimal(4)), (datetime(2099, 1, 1, tzinfo=UTC), None, Decimal(2))]
    again = await apply_import(session, parsed, "import:genai_prices_small.json", NOW.replace(hour=14))
    assert (again.models_created, again.prices_added) == (0, 0)


def test_the_cli_imports_dry_runs_and_exports(make_database):
    url = make_database()
    migrations.upgrade(url)

    async def seed() -> None:
        engine = make_engine(url, pool_size=1)
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_seed_if_empty(session)
        await engine.dispose()

    asyncio.run(seed())
    env = {**os.environ, "DATABASE_URL": url}
    cli = [sys.executable, "-m", "service.cli", "catalog"]
    fixture = str(FIXTURES / "litellm_small.json")
    dry = subprocess.run([*cli, "import", fixture, "--format", "litellm", "--dry-run"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "+ model gpt-4o (openai)" in dry.stdout and "would add 0 providers, 2 models, 3 price periods" in dry.stdout
    real = subprocess.run([*cli, "import", fixture, "--format", "litellm"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert "added 0 providers, 2 models, 3 price periods" in real.stdout, real.stderr
    again = subprocess.run([*cli, "import", fixture, "--format", "litellm"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert "added 0 providers, 0 models, 0 price periods; 4 prices unchanged" in again.stdout
    exported = subprocess.run([*cli, "export", "--at", "2026-05-10"], capture_output=True, text=True, env=env,
                              timeout=120)
    feed = json.loads(exported.stdout)
    assert feed["at"] == "2026-05-10T00:00:00Z" and len(feed["data"]) == 6


def test_float_noise_in_per_token_prices_is_rounded_to_12_fractional_digits_per_million():
    raw = b'{"noisy": {"input_cost_per_token": 1.2000000000000002e-06, "output_cost_per_token": 3e-06,' \
          b' "litellm_provider": "openai", "mode": "chat"}}'
    price = parse_litellm(raw).models[0].prices[0]
    assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("1.2"), Decimal(3))
