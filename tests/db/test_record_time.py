"""Record time in the database (migrations 0018, 0019): rows are only ever superseded, once, by a correction or by
an ordinary write that records their replacement, at the time of its write; the exclusion constraints keep the
overlap rules for each record time."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.db.test_history_triggers import OPEN_PRICE, OURS, PROMOTION
from tests.db.test_migrations import PRICE, SETUP, _execute_in_rolled_back, _fetch

CORRECTION = ("INSERT INTO corrections (model_id, reason, valid_from) VALUES ('db-test-model', 'typo', '2026-01-01Z') "
              "RETURNING id")
SUPERSEDE = ("UPDATE {table} SET superseded_at = now(), superseded_by = (SELECT max(id) FROM corrections) "
             "WHERE model_id = 'db-test-model'")
CORRECTED_PRICE = PRICE.format(from_="'2026-01-01Z'", to="NULL", input="2")


def _run(database_url: str, *statements: str) -> None:
    asyncio.run(_execute_in_rolled_back(database_url, *SETUP, *statements))


def test_the_exclusion_constraints_cover_valid_time_and_record_time(database_url):
    rows = asyncio.run(_fetch(database_url, """
        SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conname IN ('prices_no_overlap', 'promotions_no_overlap') ORDER BY conname"""))
    assert [r["conname"] for r in rows] == ["prices_no_overlap", "promotions_no_overlap"]
    for row in rows:
        assert "tstzrange(valid_from, valid_to, '[)'::text) WITH &&" in row["definition"]
        assert "tstzrange(recorded_at, superseded_at, '[)'::text) WITH &&" in row["definition"]


def test_a_superseded_row_may_overlap_its_replacement_in_valid_time(database_url):
    _run(database_url, OPEN_PRICE, CORRECTION, SUPERSEDE.format(table="prices"), CORRECTED_PRICE)


def test_two_current_rows_still_may_not_overlap(database_url):
    with pytest.raises(asyncpg.ExclusionViolationError):
        _run(database_url, OPEN_PRICE, CORRECTION, CORRECTED_PRICE)


@pytest.mark.parametrize(("name", "statements"), [
    ("superseded-twice", [OPEN_PRICE, CORRECTION, SUPERSEDE.format(table="prices"), CORRECTION,
                          SUPERSEDE.format(table="prices")]),
    ("superseded-and-changed", [OPEN_PRICE, CORRECTION, "UPDATE prices SET superseded_at = now(), superseded_by = "
                                "(SELECT max(id) FROM corrections), input_per_mtok = 5" + OURS]),
    ("superseded-at-another-time", [OPEN_PRICE, CORRECTION, "UPDATE prices SET superseded_at = now() + interval "
                                    "'1 day', superseded_by = (SELECT max(id) FROM corrections)" + OURS]),
    # Allowed by an ordinary write only with a replacement, checked at commit (migration 0019).
    ("superseded-without-a-correction", [OPEN_PRICE, "UPDATE prices SET superseded_at = now()" + OURS,
                                         "SET CONSTRAINTS ALL IMMEDIATE"]),
    ("recorded-at-another-time", [PRICE.format(from_="'2026-01-01Z'", to="NULL", input="1").replace(
        "source)", "source, recorded_at)").replace("'test')", "'test', '2026-01-01Z')")]),
    ("promotion-superseded-twice", [PROMOTION.format(from_="'2030-01-01Z'", to="NULL"), CORRECTION,
                                    SUPERSEDE.format(table="promotions"), SUPERSEDE.format(table="promotions")]),
    ("correction-changed", [CORRECTION, "UPDATE corrections SET reason = 'other' WHERE model_id = 'db-test-model'"]),
    ("correction-deleted", [CORRECTION, "DELETE FROM corrections WHERE model_id = 'db-test-model'"]),
])
def test_the_database_refuses_any_other_change_of_record_time(database_url, name, statements):
    with pytest.raises((asyncpg.IntegrityConstraintViolationError, asyncpg.CheckViolationError)):
        _run(database_url, *statements)


def test_a_correction_may_lay_a_promotion_over_the_priced_past(database_url):
    past = PROMOTION.format(from_="'2026-02-01Z'", to="'2026-03-01Z'")
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        _run(database_url, OPEN_PRICE, past)
    _run(database_url, OPEN_PRICE, CORRECTION, past)
