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


SUPERSEDE_PROMOTION = "UPDATE promotions SET superseded_at = now()" + OURS + " AND superseded_at IS NULL"
WITHDRAW_PROMOTION = "UPDATE promotions SET superseded_at = now(), withdrawn = true" + OURS
SUPERSEDE_PRICE = "UPDATE prices SET superseded_at = now()" + OURS + " AND superseded_at IS NULL"
# The superseded row recorded again, with what the format changes.
REPLACE_PROMOTION = ("INSERT INTO promotions (model_id, name, percent_off, valid_from, valid_to, source, replaces) "
                     "SELECT model_id, name, {percent}, {from_}, {to}, {source}, id FROM promotions" + OURS +
                     " AND superseded_at IS NOT NULL")
REPLACE_PRICE = ("INSERT INTO prices (model_id, valid_from, valid_to, input_per_mtok, output_per_mtok, source, "
                 "replaces) SELECT model_id, valid_from, {to}, {input}, output_per_mtok, source, id FROM prices"
                 + OURS + " AND superseded_at IS NOT NULL")
COMMIT_CHECKS = "SET CONSTRAINTS ALL IMMEDIATE"  # the deferred checks, as at commit


@pytest.mark.parametrize("end", [BEFORE_NOW, "now()", "'2030-01-01Z'"])
def test_closing_an_open_period_in_place_is_refused_at_any_instant(database_url, end):
    refused = _refused(database_url, OPEN_PRICE, f"UPDATE prices SET valid_to = {end}" + OURS)
    assert refused.constraint_name == "prices_only_grow"


@pytest.mark.parametrize(("name", "statements", "constraint"), [
    ("closed-before-now", [OPEN_PRICE, SUPERSEDE_PRICE, REPLACE_PRICE.format(to=BEFORE_NOW, input="input_per_mtok")],
     "prices_past_is_fixed"),
    ("price-changed-in-the-past", [OPEN_PRICE, SUPERSEDE_PRICE, REPLACE_PRICE.format(to="NULL", input="9")],
     "prices_past_is_fixed"),
    ("superseded-without-a-replacement", [OPEN_PRICE, SUPERSEDE_PRICE, COMMIT_CHECKS], "history_replaced"),
    ("superseded-twice", [OPEN_PRICE, SUPERSEDE_PRICE, "UPDATE prices SET superseded_at = now()" + OURS],
     "prices_only_grow"),
    ("deleted", [OPEN_PRICE, "DELETE FROM prices" + OURS], "prices_only_grow"),
    ("superseded-and-changed", [OPEN_PRICE, "UPDATE prices SET superseded_at = now(), source = 'x'" + OURS],
     "prices_only_grow"),
])
def test_the_database_refuses_any_price_change_but_superseding_with_the_past_kept(database_url, name, statements,
                                                                                constraint):
    assert _refused(database_url, *statements).constraint_name == constraint


@pytest.mark.parametrize("end", ["now()", "'2030-01-01Z'"])
def test_a_price_closed_from_now_on_is_superseded_and_recorded_again(database_url, end):
    _allowed(database_url, OPEN_PRICE, SUPERSEDE_PRICE, REPLACE_PRICE.format(to=end, input="input_per_mtok"),
             COMMIT_CHECKS)


@pytest.mark.parametrize(("name", "statements", "constraint"), [
    ("past-promotion-over-a-price", [OPEN_PRICE, PROMOTION.format(from_="'2026-02-01Z'", to="'2026-03-01Z'")],
     "promotions_past_is_fixed"),
    ("promotion-starting-just-before-now", [OPEN_PRICE, PROMOTION.format(from_=BEFORE_NOW, to="NULL")],
     "promotions_past_is_fixed"),
    ("started-promotion-withdrawn", [STARTED, OPEN_PRICE, WITHDRAW_PROMOTION], "promotions_past_is_fixed"),
    ("started-promotion-percent-changed", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
        percent="20", from_="valid_from", to="valid_to", source="source")], "promotions_past_is_fixed"),
    ("started-promotion-start-moved", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
        percent="percent_off", from_="'2026-02-02Z'", to="valid_to", source="source")], "promotions_past_is_fixed"),
    ("started-promotion-ended-before-now", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
        percent="percent_off", from_="valid_from", to=BEFORE_NOW, source="source")], "promotions_past_is_fixed"),
    ("started-promotion-superseded-without-a-replacement", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION,
                                                            COMMIT_CHECKS], "history_replaced"),
    ("future-promotion-moved-into-the-priced-past", [
        OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"), SUPERSEDE_PROMOTION,
        REPLACE_PROMOTION.format(percent="percent_off", from_="'2026-02-01Z'", to="valid_to", source="source")],
     "promotions_past_is_fixed"),
    ("started-promotion-deleted", [STARTED, OPEN_PRICE, "DELETE FROM promotions" + OURS], "promotions_only_grow"),
    ("future-promotion-deleted", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
                                  "DELETE FROM promotions" + OURS], "promotions_only_grow"),
    ("future-promotion-changed-in-place", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
                                           "UPDATE promotions SET percent_off = 20" + OURS], "promotions_only_grow"),
    ("started-promotion-ended-in-place", [STARTED, OPEN_PRICE, "UPDATE promotions SET valid_to = now()" + OURS],
     "promotions_only_grow"),
    ("replacing-a-current-promotion", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="'2030-02-01Z'"),
                                       REPLACE_PROMOTION.replace("IS NOT NULL", "IS NULL").format(
                                           percent="percent_off", from_="'2030-03-01Z'", to="NULL",
                                           source="source")], "history_replaces"),
])
def test_the_database_refuses_a_promotion_change_before_now(database_url, name, statements, constraint):
    assert _refused(database_url, *statements).constraint_name == constraint


@pytest.mark.parametrize(("name", "statements"), [
    ("promotion-starting-at-now", [OPEN_PRICE, PROMOTION.format(from_="now()", to="NULL")]),
    ("past-promotion-where-no-price-was", [PRICE.format(from_="'2026-06-01Z'", to="NULL", input="1"),
                                           PROMOTION.format(from_="'2026-01-01Z'", to="'2026-06-01Z'")]),
    ("started-promotion-ended-at-now", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
        percent="percent_off", from_="valid_from", to="now()", source="source")]),
    ("started-promotion-source-corrected", [STARTED, OPEN_PRICE, SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
        percent="percent_off", from_="valid_from", to="valid_to", source="'fixed'")]),
    ("future-promotion-withdrawn", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
                                    WITHDRAW_PROMOTION]),
    ("future-promotion-changed", [OPEN_PRICE, PROMOTION.format(from_="'2030-01-01Z'", to="NULL"),
                                  SUPERSEDE_PROMOTION, REPLACE_PROMOTION.format(
                                      percent="20", from_="'2031-01-01Z'", to="NULL", source="source")]),
])
def test_the_database_allows_promotion_changes_from_now_on_and_backfills(database_url, name, statements):
    _allowed(database_url, *statements, COMMIT_CHECKS)


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
