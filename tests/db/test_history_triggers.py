"""The database keeps the rule that writes only change the future (migration 0018), whatever code path writes.

Each case runs raw SQL in a transaction of its own, so `now()` is that transaction's start: the instant the
triggers compare with, which the statements below use to write exactly at it, or a microsecond before.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.db.test_migrations import PRICE, SETUP, _execute_in_rolled_back

OPEN_PRICE = PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1")
PROMOTION = ("INSERT INTO promotions (model_id, name, percent_off, valid_from, valid_to, source) "
             "VALUES ('db-test-model', 'p', 10, {from_}, {to}, 'test')")
BEFORE_NOW = "now() - interval '1 microsecond'"
OURS = " WHERE model_id = 'db-test-model'"  # the database holds the committed seed too: leave its rows alone
STARTED = PROMOTION.format(from_="'2026-02-01Z'", to="NULL")  # laid before any price: a backfill


def _refused(database_url: str, *statements: str) -> asyncpg.IntegrityConstraintViolationError:
    with pytest.raises(asyncpg.IntegrityConstraintViolationError) as refused:
        asyncio.run(_execute_in_rolled_back(database_url, *SETUP, *statements))
    return refused.value


def _allowed(database_url: str, *statements: str) -> None:
    asyncio.run(_execute_in_rolled_back(database_url, *SETUP, *statements))


def test_closing_an_open_period_before_now_is_refused_by_name(database_url):
    refused = _refused(database_url, OPEN_PRICE, f"UPDATE prices SET valid_to = {BEFORE_NOW}" + OURS)
    assert refused.constraint_name == "prices_past_is_fixed"


@pytest.mark.parametrize(("name", "statements"), [
    ("past-promotion-over-a-price", [OPEN_PRICE, PROMOTION.format(from_="'2026-02-01Z'", to="'2026-03-01Z'")]),
    ("promotion-starting-just-before-now", [OPEN_PRICE, PROMOTION.format(from_=BEFORE_NOW, to="NULL")]),
    ("started-promotion-deleted", [STARTED, OPEN_PRICE, "DELETE FROM promotions" + OURS]),
    ("started-promotion-percent-changed", [STARTED, OPEN_PRICE, "UPDATE promotions SET percent_off = 20" + OURS]),
    ("started-promotion-start-moved", [STARTED, OPEN_PRICE, "UPDATE promotions SET valid_from = '2026-02-02Z'" + OURS]),
    ("started-promotion-ended-before-now", [STARTED, OPEN_PRICE,
                                            f"UPDATE promotions SET valid_to = {BEFORE_NOW}" + OURS]),
    ("future-promotion-moved-into-the-priced-past", [
        OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
        "UPDATE promotions SET valid_from = '2026-02-01Z'" + OURS]),
])
def test_the_database_refuses_a_promotion_change_before_now(database_url, name, statements):
    assert _refused(database_url, *statements).constraint_name == "promotions_past_is_fixed"


@pytest.mark.parametrize(("name", "statements"), [
    ("promotion-starting-at-now", [OPEN_PRICE, PROMOTION.format(from_="now()", to="NULL")]),
    ("past-promotion-where-no-price-was", [PRICE.format(from_="'2026-06-01Z'", to="NULL", input="1"),
                                           PROMOTION.format(from_="'2026-01-01Z'", to="'2026-06-01Z'")]),
    ("started-promotion-ended-at-now", [STARTED, OPEN_PRICE, "UPDATE promotions SET valid_to = now()" + OURS]),
    ("started-promotion-source-corrected", [STARTED, OPEN_PRICE, "UPDATE promotions SET source = 'fixed'" + OURS]),
    ("future-promotion-deleted", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
                                  "DELETE FROM promotions" + OURS]),
])
def test_the_database_allows_promotion_changes_from_now_on_and_backfills(database_url, name, statements):
    _allowed(database_url, *statements)


def test_backfill_says_whether_a_row_starts_before_it_was_recorded(database_url):
    async def check() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            async with connection.transaction():
                for statement in SETUP:
                    await connection.execute(statement)
                await connection.execute(PRICE.format(from_="'2026-01-01Z'", to="now()", input="1"))
                await connection.execute(PRICE.format(from_="now()", to="NULL", input="2"))
                rows = await connection.fetch("SELECT input_per_mtok, backfill FROM prices "
                                              "WHERE model_id = 'db-test-model' ORDER BY valid_from")
                raise _Rollback(rows)
        except _Rollback as done:
            return done.rows
        finally:
            await connection.close()

    assert [(int(r["input_per_mtok"]), r["backfill"]) for r in asyncio.run(check())] == [(1, True), (2, False)]


class _Rollback(Exception):
    def __init__(self, rows: list[asyncpg.Record]) -> None:
        super().__init__("rolled back")
        self.rows = rows
