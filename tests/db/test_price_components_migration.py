"""Migration 0016: the per-request, audio, image and one-hour cache write prices are guarded like every price."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.db.test_migrations import SETUP, _execute_in_rolled_back

NEW_COLUMNS = ["per_request", "audio_input_per_mtok", "audio_output_per_mtok", "image_input_per_mtok",
               "image_output_per_mtok", "cache_write_1h_per_mtok"]
PRICED = ("INSERT INTO prices (model_id, valid_from, input_per_mtok, output_per_mtok, source, {column}) "
          "VALUES ('db-test-model', '2026-01-01Z', 1, 1, 'test', {value})")


@pytest.mark.parametrize("column", NEW_COLUMNS)
@pytest.mark.parametrize(("value", "error"), [
    ("'NaN'", asyncpg.CheckViolationError),
    ("-0.000000000001", asyncpg.CheckViolationError),
    ("'Infinity'", asyncpg.NumericValueOutOfRangeError),
    ("1000000000000", asyncpg.NumericValueOutOfRangeError),
], ids=["nan", "negative", "infinite", "too-large"])
def test_the_database_refuses_a_bad_value_of_each_new_price(database_url, column, value, error):
    with pytest.raises(error):
        asyncio.run(_execute_in_rolled_back(database_url, *SETUP, PRICED.format(column=column, value=value)))


def _closed(column: str, end: str) -> list[str]:
    """The open period superseded and recorded again with `end`, every price kept."""
    ours = "model_id = 'db-test-model'"
    return [f"UPDATE prices SET superseded_at = now() WHERE {ours} AND valid_to IS NULL AND superseded_at IS NULL",
            "INSERT INTO prices (model_id, valid_from, valid_to, input_per_mtok, output_per_mtok, source, "
            f"{column}, replaces) SELECT model_id, valid_from, {end}, input_per_mtok, output_per_mtok, source, "
            f"{column}, id FROM prices WHERE id = (SELECT max(id) FROM prices WHERE {ours} "
            "AND superseded_at IS NOT NULL)"]


@pytest.mark.parametrize("column", NEW_COLUMNS)
def test_the_database_keeps_a_new_price_to_its_twelve_decimals_and_accepts_zero_and_unknown(database_url, column):
    asyncio.run(_execute_in_rolled_back(
        database_url, *SETUP, PRICED.format(column=column, value="0.000000000001"),
        *_closed(column, "'2030-03-01Z'"),  # closing is allowed: superseded, and recorded again with its end
        PRICED.format(column=column, value="0").replace("2026-01-01Z", "2030-03-01Z"),
        *_closed(column, "'2031-01-01Z'"),
        PRICED.format(column=column, value="NULL").replace("2026-01-01Z", "2031-01-01Z"),
    ))


@pytest.mark.parametrize("column", NEW_COLUMNS)
@pytest.mark.parametrize(("stored", "rewritten"), [("1", "2"), ("1", "NULL"), ("NULL", "1")],
                         ids=["changed", "made-unknown", "filled-in"])
def test_the_database_refuses_a_rewrite_of_each_new_price(database_url, column, stored, rewritten):
    with pytest.raises(asyncpg.IntegrityConstraintViolationError) as refused:
        asyncio.run(_execute_in_rolled_back(
            database_url, *SETUP, PRICED.format(column=column, value=stored),
            f"UPDATE prices SET {column} = {rewritten}, valid_to = '2030-03-01Z' WHERE model_id = 'db-test-model'"))
    assert refused.value.constraint_name == "prices_only_grow"
