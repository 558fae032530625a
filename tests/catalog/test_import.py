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

import pytest
from sqlalchemy import func, select

from service.catalog.importing.formats import parse_genai_prices, parse_litellm
from service.catalog.importing.importer import apply_import
from service.catalog.rules import from_document
from service.catalog.seed import load_seed_if_empty
from service.db import migrations
from service.db.engine import make_engine, make_sessionmaker
from service.db.models import PriceRow
from service.pricing.prices import TokenPrices
from service.pricing.rules import FLAT, ContextTier, PriceRules, TimeWindow, Variant
from service.pricing.windows import DailyWindow

CURRENT = PriceRow.superseded_at.is_(None)  # the rows the catalog says now (migration 0019)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
EVERY_DAY = frozenset(range(7))


def test_litellm_entries_become_prices_per_million_tokens_exactly():
    parsed = parse_litellm((FIXTURES / "litellm_small.json").read_bytes())
    by_id = {m.id: m for m in parsed.models}
    assert set(by_id) == {"gpt-4o", "gpt-4o-mini", "deepseek-v4-flash", "gpt-4.1"}
    assert by_id["gpt-4o-mini"].source_key == "openai/gpt-4o-mini"  # sold by its maker: the bare id
    gpt = by_id["gpt-4o"]
    assert (gpt.provider, gpt.context_window) == ("openai", 128000)
    assert gpt.prices[0].prices() == TokenPrices(Decimal("2.5"), Decimal(10), Decimal("1.25"), None)
    assert by_id["deepseek-v4-flash"].prices[0].cache_read_per_mtok == Decimal("0.0028")
    assert parsed.skipped == ["text-embedding-3-small: skipped: no input and output price per token"]


def test_genai_prices_keep_base_rates_and_scheduled_changes_and_skip_conditions():
    parsed = parse_genai_prices((FIXTURES / "genai_prices_small.json").read_bytes(), now=NOW)
    by_id = {m.id: m for m in parsed.models}
    sonnet = by_id["claude-sonnet-4-5"].prices[0]
    assert (sonnet.input_per_mtok, sonnet.output_per_mtok) == (Decimal(3), Decimal(15))
    future = by_id["claude-future"].prices
    assert [(p.valid_from, p.input_per_mtok) for p in future] == [(None, 4), (datetime(2099, 1, 1, tzinfo=UTC), 2)]
    # A time-of-day price without its end is named, component by component; the plain price still comes in.
    assert by_id["claude-offpeak"].prices[0].input_per_mtok == 4
    assert [line for line in parsed.skipped if "claude-offpeak" in line] == [
        f"anthropic/claude-offpeak: prices[1].{kind} left out: time-of-day prices constrained by start_time are "
        "not held"
        for kind in ("input_mtok", "output_mtok")]


async def test_an_import_adds_new_models_and_only_changed_prices_and_a_reimport_changes_nothing(session):
    parsed = parse_litellm((FIXTURES / "litellm_small.json").read_bytes())
    report = await apply_import(session, parsed, "import:litellm_small.json", NOW)
    assert (report.models_created, report.unchanged) == (2, 1)  # gpt-4o, gpt-4o-mini new; V4-Flash the same
    assert report.prices_added == 3  # the two new models, and GPT-4.1's changed input price
    # A stored model's price changes from the time of the write (the database's clock), never from an earlier `now`:
    # closing its period before then would change answers already given.
    written = await session.scalar(select(func.now()))
    assert f"~ model gpt-4.1: new period from {written.isoformat()} at 1.8/8 per 1M (in/out)" in report.changes
    query = select(PriceRow).where(PriceRow.model_id == "gpt-4.1", CURRENT).order_by(PriceRow.valid_from)
    history = list(await session.scalars(query))
    assert [(p.input_per_mtok, p.valid_to, p.source) for p in history] == [
        (Decimal(2), written, history[0].source), (Decimal("1.8"), None, "import:litellm_small.json")]
    assert history[0].source.startswith("article")  # the old period kept its facts; it was only closed
    count = await session.scalar(select(func.count()).select_from(PriceRow))
    again = await apply_import(session, parsed, "import:litellm_small.json", NOW.replace(hour=13))
    assert (again.models_created, again.prices_added, again.unchanged) == (0, 0, 4)
    assert await session.scalar(select(func.count()).select_from(PriceRow)) == count


async def test_a_genai_prices_import_schedules_future_prices_and_reimports_cleanly(session):
    parsed = parse_genai_prices((FIXTURES / "genai_prices_small.json").read_bytes(), now=NOW)
    report = await apply_import(session, parsed, "import:genai_prices_small.json", NOW)
    assert report.providers_created == 0 and report.models_created == 4 and report.unchanged == 1
    future = list(await session.scalars(
        select(PriceRow).where(PriceRow.model_id == "claude-future", CURRENT).order_by(PriceRow.valid_from)))
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
    assert "added 0 providers, 0 models, 0 price periods, 0 aliases; 4 prices unchanged" in again.stdout
    exported = subprocess.run([*cli, "export", "--at", "2026-05-10"], capture_output=True, text=True, env=env,
                              timeout=120)
    feed = json.loads(exported.stdout)
    assert feed["at"] == "2026-05-10T00:00:00Z" and len(feed["data"]) == 6


def test_float_noise_in_per_token_prices_is_rounded_to_12_fractional_digits_per_million():
    raw = b'{"noisy": {"input_cost_per_token": 1.2000000000000002e-06, "output_cost_per_token": 3e-06,' \
          b' "litellm_provider": "openai", "mode": "chat"}}'
    price = parse_litellm(raw).models[0].prices[0]
    assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("1.2"), Decimal(3))


def test_litellm_rules_become_tiers_variants_and_off_peak_hours_exactly():
    parsed = parse_litellm((FIXTURES / "litellm_rules.json").read_bytes())
    by_id = {m.id: m.prices[0] for m in parsed.models}
    ruled = by_id["gpt-ruled"]
    assert ruled.prices() == TokenPrices(Decimal("2.5"), Decimal(15), Decimal("0.25"), Decimal("3.125"))
    # The tier states no cache write price: unknown, never the base rate's 3.125.
    tier = ContextTier(200_000, TokenPrices(Decimal(5), Decimal("22.5"), Decimal("0.5"), None))
    variants = (Variant("batch", Decimal("0.5")), Variant("flex", Decimal("0.5")), Variant("priority", Decimal(2)))
    assert ruled.rules == PriceRules(tiers=(tier,), variants=variants)
    off_peak = by_id["deepseek-offpeak"]
    assert off_peak.prices() == TokenPrices(Decimal("0.28"), Decimal("0.42"), Decimal("0.028"), None)
    assert off_peak.rules == PriceRules(windows=(
        TimeWindow("off-peak", DailyWindow("UTC", EVERY_DAY, 16 * 60 + 30, 30), Decimal("0.5")),
        TimeWindow("off-peak", DailyWindow("UTC", EVERY_DAY, 12 * 60, 13 * 60), Decimal("0.5")),
    ))


def test_litellm_rules_that_our_rules_cannot_say_exactly_are_left_out_with_a_reason():
    parsed = parse_litellm((FIXTURES / "litellm_rules.json").read_bytes())
    by_id = {m.id: m.prices[0] for m in parsed.models}
    uneven = by_id["openai/uneven-batch"]  # not a model OpenAI makes: an offering of the provider
    assert uneven.rules == FLAT and uneven.input_per_mtok == 2  # still imported
    tiered = by_id["alibaba/tiered-offpeak"].rules
    assert tiered == PriceRules(tiers=(ContextTier(128_000, TokenPrices(Decimal(2), Decimal(8))),))
    batch = "batch prices are not one multiple of the standard ones (0.5 on input, 0.4 on output)"
    off_peak = ("off-peak prices replace the tier and variant rates in LiteLLM, where our window would multiply "
                "them")
    assert parsed.skipped == [
        f"uneven-batch: input_cost_per_token_batches left out: {batch}",
        f"uneven-batch: output_cost_per_token_batches left out: {batch}",
        "uneven-batch: input_cost_per_token_flex left out: flex prices have no input and output price",
        "tiered-offpeak: input_cost_per_token_above_256k_tokens left out: the tier above 256000 prompt tokens has "
        "no input and output price",
        f"tiered-offpeak: off_peak_pricing.input_cost_per_token left out: {off_peak}",
        f"tiered-offpeak: off_peak_pricing.output_cost_per_token left out: {off_peak}",
    ]


def _litellm_entry(extra: str) -> tuple[PriceRules, set[str]]:
    """The rules of one entry, and the reasons its left-out components are named with."""
    raw = '{"m": {"litellm_provider": "openai", "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, ' + \
        extra + "}}"
    parsed = parse_litellm(raw.encode())
    assert parsed.books.balanced
    return parsed.models[0].prices[0].rules, {line.split(" left out: ")[1] for line in parsed.skipped}


@pytest.mark.parametrize(("hours", "start", "end"), [
    ('"16:30-00:30"', 990, 30),  # past midnight
    ('"18:00-00:00"', 1080, 1440),  # to midnight: the same hours, without crossing a day
    ('["05:00-05:00"]', 0, 1440),  # start == end: LiteLLM's whole day
])
def test_litellm_off_peak_hours_are_utc_every_day(hours, start, end):
    rules, skipped = _litellm_entry('"off_peak_pricing": {"hours_utc": ' + hours + ', "input_cost_per_token": 5e-07,'
                                    ' "output_cost_per_token": 2e-06}')
    assert skipped == set()
    assert rules.windows == (TimeWindow("off-peak", DailyWindow("UTC", EVERY_DAY, start, end), Decimal("0.25")),)


@pytest.mark.parametrize(("extra", "reason"), [
    ('"input_cost_per_token_batches": 2.469134e-07, "output_cost_per_token_batches": 9.876536e-07',
     "batch prices are 0.1234567 times the standard ones, which is no multiplier (above 0, at most 10, "
     "at most 6 decimals)"),
    ('"input_cost_per_token_priority": 4e-06, "output_cost_per_token_priority": 1.6e-05, '
     '"input_cost_per_token_above_200k_tokens_priority": 1e-05',
     "priority prices above 200000 prompt tokens have no standard tier to multiply"),
    ('"off_peak_pricing": {"hours_utc": "16:30-00:30", "input_cost_per_token": 1e-06}',
     "off-peak prices are not one multiple of the standard ones (0.5 on input, 1 on output)"),
    # a price the block leaves out stays the standard one, as LiteLLM reads it
    ('"off_peak_pricing": {"weekday_timezone": "Asia/Shanghai", "windows": [{"hours_utc": "00:00-00:00", '
     '"weekdays": [6, 7]}], "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06}',
     "off-peak weekdays read in Asia/Shanghai with hours in UTC are not held"),
    ('"off_peak_pricing": {"hours_utc": "4pm-6pm", "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06}',
     "off-peak hours '4pm-6pm' are not HH:MM-HH:MM"),
])
def test_litellm_rules_without_one_exact_multiplier_are_left_out(extra, reason):
    rules, skipped = _litellm_entry(extra)
    assert (rules, skipped) == (FLAT, {reason})


def test_a_variant_price_above_a_tier_must_be_the_tier_price_times_the_variant_multiplier():
    # LiteLLM states priority above 200K at the standard tier's price; our priority would double the tier's.
    rules, skipped = _litellm_entry(
        '"input_cost_per_token_above_200k_tokens": 4e-06, "output_cost_per_token_above_200k_tokens": 1.6e-05, '
        '"input_cost_per_token_priority": 4e-06, "output_cost_per_token_priority": 1.6e-05, '
        '"input_cost_per_token_above_200k_tokens_priority": 4e-06')
    assert rules == PriceRules(tiers=(ContextTier(200_000, TokenPrices(Decimal(4), Decimal(16))),))
    assert skipped == {"priority input price above 200000 prompt tokens is not 2 times the tier's"}


def test_genai_prices_tiers_take_each_kind_at_its_highest_tier_reached():
    raw = b"""[{"id": "google", "models": [{"id": "gemini-tiered", "prices": {
        "input_mtok": {"base": 1.25, "tiers": [{"start": 128000, "price": 2.5}, {"start": 200000, "price": 5}]},
        "output_mtok": {"base": 10, "tiers": [{"start": 200000, "price": 15}]},
        "cache_read_mtok": 0.125}}]}]"""
    price = parse_genai_prices(raw, now=NOW).models[0].prices[0]
    assert price.prices() == TokenPrices(Decimal("1.25"), Decimal(10), Decimal("0.125"), None)
    # The untiered cache read price is one price at every prompt size, as genai-prices charges it.
    assert price.rules == PriceRules(tiers=(
        ContextTier(128_000, TokenPrices(Decimal("2.5"), Decimal(10), Decimal("0.125"))),
        ContextTier(200_000, TokenPrices(Decimal(5), Decimal(15), Decimal("0.125"))),
    ))
    fixture = parse_genai_prices((FIXTURES / "genai_prices_small.json").read_bytes(), now=NOW)
    sonnet = next(m for m in fixture.models if m.id == "claude-sonnet-4-5").prices[0]
    assert sonnet.rules.tiers == (ContextTier(200_000, TokenPrices(Decimal(6), Decimal("22.5"))),)


async def test_rules_are_stored_a_reimport_changes_nothing_and_a_changed_tier_is_a_new_period(session):
    raw = (FIXTURES / "litellm_rules.json").read_bytes()
    parsed = parse_litellm(raw)
    report = await apply_import(session, parsed, "import:litellm_rules.json", NOW)
    assert (report.models_created, report.prices_added) == (4, 4)
    assert "+ model gpt-ruled (openai) at 2.5/15 per 1M (in/out) with context tier above 200000, batch x0.5, " \
           "flex x0.5, priority x2" in report.changes
    stored = await session.scalar(select(PriceRow).where(PriceRow.model_id == "gpt-ruled"))
    assert from_document(stored.rules) == parsed.models[0].prices[0].rules
    again = await apply_import(session, parse_litellm(raw), "import:litellm_rules.json", NOW.replace(hour=13))
    assert (again.prices_added, again.unchanged, again.refused) == (0, 4, [])
    # The tier's input price goes up, and the priority price above it with it (else priority would be left out).
    changed = raw.replace(b'_above_200k_tokens": 5e-06', b'_above_200k_tokens": 6e-06').replace(
        b'_above_200k_tokens_priority": 1e-05', b'_above_200k_tokens_priority": 1.2e-05')
    later = NOW.replace(hour=14)
    third = await apply_import(session, parse_litellm(changed), "import:litellm_rules.json", later)
    assert (third.prices_added, third.unchanged, third.refused) == (1, 3, [])
    history = list(await session.scalars(
        select(PriceRow).where(PriceRow.model_id == "gpt-ruled", CURRENT).order_by(PriceRow.valid_from)))
    written = await session.scalar(select(func.now()))  # not `later`, which is past: the change starts at the write
    assert [(p.valid_from, p.valid_to, p.input_per_mtok) for p in history] == [
        (NOW, written, Decimal("2.5")), (written, None, Decimal("2.5"))]
    assert [from_document(p.rules).tiers[0].prices.input_per_mtok for p in history] == [Decimal(5), Decimal(6)]
    assert from_document(history[1].rules).variants == parsed.models[0].prices[0].rules.variants
