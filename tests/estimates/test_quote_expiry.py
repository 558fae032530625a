"""Anonymous quotes expire and say when; keyed ones are kept. The clock is set by storing old quotes, not by waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.db.models import QuoteRow
from service.settings import Settings
from tests.problems import assert_problem

QUOTE = {"kind": "estimate", "request": {"model": "gpt-4.1", "input_tokens": 1000, "output_tokens": 10,
                                         "at": "2026-05-10"}}
RETENTION = timedelta(seconds=Settings().quote_anonymous_retention_seconds)


def _instant(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value.replace("Z", "+00:00"))


async def test_an_anonymous_quote_says_when_it_expires_and_a_keyed_one_has_no_expiry(client, writer):
    anonymous = (await client.post("/v1/quotes", json=QUOTE)).json()
    keyed = (await client.post("/v1/quotes", json=QUOTE, headers=writer)).json()
    assert _instant(anonymous["expires_at"]) - _instant(anonymous["created_at"]) == RETENTION
    assert keyed["expires_at"] is None
    for quote in (anonymous, keyed):  # the stored bytes carry it too
        read = (await client.get(f"/v1/quotes/{quote['id']}")).json()
        assert read["expires_at"] == quote["expires_at"]


async def test_an_anonymous_quote_past_its_expiry_is_a_410_and_a_kept_or_live_one_is_read(client, session):
    old = datetime.now(UTC) - RETENTION - timedelta(days=1)
    rows = {
        "q_expired": old + RETENTION,  # stored anonymously a retention and a day ago
        "q_live": datetime.now(UTC) + timedelta(hours=1),
        "q_kept": None,  # stored with a key, as long ago
    }
    for quote_id, expires_at in rows.items():
        session.add(QuoteRow(id=quote_id, kind="estimate", request={}, response=b'{"id": "%s"}' % quote_id.encode(),
                             price_ids=[], created_at=old, expires_at=expires_at))
    await session.flush()
    assert_problem(await client.get("/v1/quotes/q_expired"), 410, type="gone")
    assert (await client.get("/v1/quotes/q_live")).json() == {"id": "q_live"}
    assert (await client.get("/v1/quotes/q_kept")).json() == {"id": "q_kept"}


async def test_only_an_expired_quote_may_be_deleted(session):
    old = datetime.now(UTC) - timedelta(days=40)
    for quote_id, expires_at in (("q_gone", old), ("q_forever", None)):
        session.add(QuoteRow(id=quote_id, kind="estimate", request={}, response=b"{}", price_ids=[],
                             created_at=old, expires_at=expires_at))
    await session.flush()
    await session.execute(text("DELETE FROM quotes WHERE id = 'q_gone'"))
    left = await session.execute(text("SELECT count(*) FROM quotes WHERE id = 'q_gone'"))
    assert left.scalar_one() == 0
    with pytest.raises(DBAPIError, match="immutable"):  # the trigger refuses it
        async with session.begin_nested():
            await session.execute(text("DELETE FROM quotes WHERE id = 'q_forever'"))


def test_the_retention_is_a_setting_with_units():
    assert Settings.from_env({"QUOTE_ANONYMOUS_RETENTION": "6h"}).quote_anonymous_retention_seconds == 6 * 3600
    assert Settings.from_env({}).quote_anonymous_retention_seconds == 30 * 86_400
