"""The page marks corrected stretches in the price history (issue 18), with the reason on hover and on focus."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import httpx
from playwright.async_api import expect

from tests.factories import committed_model_and_key

REASON = "the page had a typo"
PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "page test"}
STRETCH = {"valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z"}


class Corrected(NamedTuple):
    model: str
    priced_at: str  # when its first price was recorded, which the correction came after
    correction: int


async def corrected_model(live_url: str, engine, reason: str = REASON) -> Corrected:
    """A committed model priced at $1 per 1M input tokens, its March price then corrected to $0.5, returned once the
    live server's snapshot has the correction."""
    model_id, keys = await committed_model_and_key(engine, "pagefix", "catalog:write", "catalog:correct")
    async with httpx.AsyncClient(base_url=live_url) as api:
        priced = await api.post(f"/v1/models/{model_id}/prices", json=PRICE, headers=keys)
        assert priced.status_code == 201, priced.text
        fixed = await api.post(f"/v1/models/{model_id}/corrections", headers=keys, json={
            "reason": reason, **STRETCH,
            "prices": [{**STRETCH, "input_per_mtok": "0.5", "output_per_mtok": "2", "source": "page test"}]})
        assert fixed.status_code == 201, fixed.text
        probe = {"model": model_id, "input_tokens": 1_000_000, "output_tokens": 0, "at": "2026-03-15"}
        for _ in range(200):
            answer = await api.post("/v1/estimate", json=probe)
            if answer.status_code == 200 and answer.json()["cost"]["total"] == "0.5":
                return Corrected(model_id, priced.json()["recorded_at"], fixed.json()["id"])
            await asyncio.sleep(0.02)
    raise AssertionError("the live server's snapshot never saw the correction")


async def test_a_corrected_stretch_is_marked_with_its_reason_on_hover_and_on_focus(
    page, committed_live_url, committed_engine, output_dir
):
    model = (await corrected_model(committed_live_url, committed_engine)).model
    await page.goto(f"{committed_live_url}/?baseline={model}")
    mark = page.locator("#history svg rect.corrected")
    await expect(mark).to_have_count(1)
    await expect(mark.locator("title")).to_have_text(f"Corrected 2026-03-01 to 2026-04-01: {REASON}")
    await expect(page.locator("#history-text")).to_contain_text(f"Corrected from 2026-03-01 to 2026-04-01: {REASON}")
    label = page.locator("#history svg text.corrected-label")
    await expect(label).to_be_hidden()
    await mark.focus()
    await expect(label).to_be_visible()
    await expect(label).to_have_text(REASON)
    await page.screenshot(path=output_dir / "estimator-corrected.png", full_page=True)
    await page.locator("#in").focus()
    await expect(label).to_be_hidden()
    await mark.hover()
    await expect(label).to_be_visible()


async def test_a_model_never_corrected_has_no_mark(page, live_url):
    await page.goto(f"{live_url}/")
    await expect(page.locator("#history svg path[data-series='input']")).to_have_count(1)
    await expect(page.locator("#history svg rect.corrected")).to_have_count(0)
