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
        ("prices", "prices_no_overlap"), ("promotions", "promotions_no_overlap"),
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


def test_the_database_allows_closing_an_open_period(database_url):
    asyncio.run(_execute_in_rolled_back(
        database_url, *SETUP, PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1"),
        "UPDATE prices SET valid_to = '2026-03-01Z' WHERE model_id = 'db-test-model'",
    ))
