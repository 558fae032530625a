"""Migrations: reversible, and the integrity rules live in the database itself."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from service.db import migrations


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


def test_upgrade_then_downgrade_to_base_then_upgrade_again_runs_clean(make_database):
    url = make_database()
    migrations.upgrade(url)
    assert asyncio.run(migrations.current_revision(url)) == migrations.head_revision()
    migrations.downgrade(url, "base")
    assert asyncio.run(migrations.current_revision(url)) is None
    tables = asyncio.run(_fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    assert [t["tablename"] for t in tables] == ["alembic_version"]
    migrations.upgrade(url)
    assert asyncio.run(migrations.current_revision(url)) == migrations.head_revision()


def test_the_exclusion_constraints_exist_after_upgrade(database_url):
    rows = asyncio.run(_fetch(database_url, """
        SELECT conrelid::regclass::text AS table_name, conname FROM pg_constraint WHERE contype = 'x'
        ORDER BY conname"""))
    assert [(r["table_name"], r["conname"]) for r in rows] == [
        ("aliases", "aliases_no_overlap"), ("assumptions", "assumptions_no_overlap"), ("prices", "prices_no_overlap"),
        ("promotions", "promotions_no_overlap"),
    ]


async def _execute_in_rolled_back(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


SETUP = [
    "INSERT INTO providers (id, name) VALUES ('db-test', 'DB test')",
    "INSERT INTO models (id, provider_id, name) VALUES ('db-test-model', 'db-test', 'M')",
]
PRICE = ("INSERT INTO prices (model_id, valid_from, valid_to, input_per_mtok, output_per_mtok, source) "
         "VALUES ('db-test-model', {from_}, {to}, {input}, 1, 'test')")


@pytest.mark.parametrize(
    ("statements", "error"),
    [
        ([PRICE.format(from_="'2026-01-01Z'", to="NULL", input="'NaN'")], asyncpg.CheckViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="NULL", input="-1")], asyncpg.CheckViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="'2026-01-01Z'", input="1")], asyncpg.CheckViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1"),
          PRICE.format(from_="'2026-06-01Z'", to="'2026-07-01Z'", input="1")], asyncpg.ExclusionViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1"),
          "UPDATE prices SET input_per_mtok = 2 WHERE model_id = 'db-test-model'"],
         asyncpg.IntegrityConstraintViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1"),
          "DELETE FROM prices WHERE model_id = 'db-test-model'"], asyncpg.IntegrityConstraintViolationError),
        ([PRICE.format(from_="'2026-01-01Z'", to="'2026-02-01Z'", input="1"),
          "UPDATE prices SET valid_to = '2026-03-01Z' WHERE model_id = 'db-test-model'"],
         asyncpg.IntegrityConstraintViolationError),
    ],
    ids=["nan", "negative", "empty-period", "overlap", "price-changed", "price-deleted", "closed-period-moved"],
)
def test_the_database_refuses_what_would_corrupt_price_history(database_url, statements, error):
    with pytest.raises(error):
        asyncio.run(_execute_in_rolled_back(database_url, *SETUP, *statements))


@pytest.mark.parametrize("closed_at", ["now()", "'2030-03-01Z'"])
def test_the_database_allows_closing_an_open_period_at_or_after_the_time_of_the_write(database_url, closed_at):
    # Superseded, and recorded again with its end (migration 0019): never changed in place.
    asyncio.run(_execute_in_rolled_back(
        database_url, *SETUP, PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1"),
        "UPDATE prices SET superseded_at = now() WHERE model_id = 'db-test-model'",
        "INSERT INTO prices (model_id, valid_from, valid_to, input_per_mtok, output_per_mtok, source, replaces) "
        f"SELECT model_id, valid_from, {closed_at}, input_per_mtok, output_per_mtok, source, id FROM prices "
        "WHERE model_id = 'db-test-model'", "SET CONSTRAINTS ALL IMMEDIATE",
    ))


FLAT = '{"context_tiers": [], "time_windows": [], "variants": []}'
RULED_PRICE = ("INSERT INTO prices (model_id, valid_from, input_per_mtok, output_per_mtok, source, rules) "
               "VALUES ('db-test-model', '2026-01-01Z', 1, 1, 'test', '{rules}')")
TIER = '{{"above_prompt_tokens": {above}, "input_per_mtok": "{price}", "output_per_mtok": "1", ' \
       '"cache_read_per_mtok": null, "cache_write_per_mtok": null}}'
WINDOW = '{{"name": "w", "timezone": "UTC", "days": {days}, "start": "{start}", "end": "{end}", ' \
         '"excluded_dates": [], "multiplier": "{multiplier}"}}'


def _rules(tiers: str = "", windows: str = "", variants: str = "") -> str:
    return f'{{"context_tiers": [{tiers}], "time_windows": [{windows}], "variants": [{variants}]}}'


def _window(days: str = '["mon"]', start: str = "16:30", end: str = "00:30", multiplier: str = "0.5") -> str:
    return WINDOW.format(days=days, start=start, end=end, multiplier=multiplier)


@pytest.mark.parametrize("rules", [
    "[]", '{"context_tiers": []}', _rules(tiers=TIER.format(above=0, price="1")),
    _rules(tiers=TIER.format(above=10, price="1") + "," + TIER.format(above=10, price="2")),
    _rules(tiers=TIER.format(above=10, price="NaN")), _rules(tiers=TIER.format(above=10, price="-1")),
    _rules(tiers=TIER.format(above="1.5", price="1")), _rules(windows=_window(start="10:00", end="10:00")),
    _rules(windows=_window(days='["monday"]')), _rules(windows=_window(days="[]")),
    _rules(windows=_window(start="25:00")), _rules(windows=_window(multiplier="0")),
    _rules(windows=_window(multiplier="11")), _rules(variants='{"kind": "cheap", "multiplier": "0.5"}'),
    _rules(variants='{"kind": "batch", "multiplier": "0.5"}, {"kind": "batch", "multiplier": "0.4"}'),
    _rules(variants='{"kind": "batch", "multiplier": 0.5}'),
], ids=["not-an-object", "missing-lists", "tier-at-zero", "tiers-not-rising", "nan-price", "negative-price",
        "fractional-threshold", "empty-window", "unknown-day", "no-days", "bad-clock", "zero-multiplier",
        "huge-multiplier", "unknown-variant", "duplicate-variant", "float-multiplier"])
def test_the_database_refuses_malformed_rules(database_url, rules):
    with pytest.raises(asyncpg.CheckViolationError):
        asyncio.run(_execute_in_rolled_back(database_url, *SETUP, RULED_PRICE.format(rules=rules)))


def test_the_database_accepts_rules_and_never_lets_them_change(database_url):
    rules = _rules(TIER.format(above=200000, price="2.5"), _window(), '{"kind": "batch", "multiplier": "0.5"}')
    asyncio.run(_execute_in_rolled_back(database_url, *SETUP, RULED_PRICE.format(rules=rules)))
    with pytest.raises(asyncpg.IntegrityConstraintViolationError) as refused:
        asyncio.run(_execute_in_rolled_back(
            database_url, *SETUP, RULED_PRICE.format(rules=rules),
            f"UPDATE prices SET rules = '{FLAT}' WHERE model_id = 'db-test-model'"))
    assert refused.value.constraint_name == "prices_only_grow"  # what the service maps its 409 by


def test_a_deleted_price_is_refused_by_the_named_only_grow_constraint(database_url):
    with pytest.raises(asyncpg.IntegrityConstraintViolationError) as refused:
        asyncio.run(_execute_in_rolled_back(
            database_url, *SETUP, RULED_PRICE.format(rules=_rules()),
            "DELETE FROM prices WHERE model_id = 'db-test-model'"))
    assert refused.value.constraint_name == "prices_only_grow"
