"""The page answers as known at an instant (issue 18): its "As known at" control is in the URL, passed on to every
request that prices or reads the history, and said on the page with the corrections an answer names."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import expect

from tests.factories import committed_model_and_key
from tests.page.test_estimator_browser import cell, query_of

REASON = "the March price was half"
PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "page test"}
STRETCH = {"valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z"}
ONE_SESSION = "in=1000000&out=0&cache=0&retry=1&spm=1&at=2026-03-15"


async def _priced_then_corrected(live_url: str, engine) -> tuple[str, str, int]:
    """A committed model priced at $1 per 1M input tokens, then corrected to $0.5 in March: (model, the instant
    its price was recorded, which the correction came after, the correction's id), once the server prices it so."""
    model, keys = await committed_model_and_key(engine, "pageknown", "catalog:write", "catalog:correct")
    async with httpx.AsyncClient(base_url=live_url) as api:
        priced = await api.post(f"/v1/models/{model}/prices", json=PRICE, headers=keys)
        assert priced.status_code == 201, priced.text
        fixed = await api.post(f"/v1/models/{model}/corrections", headers=keys, json={
            "reason": REASON, **STRETCH,
            "prices": [{**STRETCH, "input_per_mtok": "0.5", "output_per_mtok": "2", "source": "page test"}]})
        assert fixed.status_code == 201, fixed.text
        probe = {"model": model, "input_tokens": 1_000_000, "output_tokens": 0, "at": "2026-03-15"}
        for _ in range(200):
            answer = await api.post("/v1/estimate", json=probe)
            if answer.status_code == 200 and answer.json()["cost"]["total"] == "0.5":
                return model, priced.json()["recorded_at"], fixed.json()["id"]
            await asyncio.sleep(0.02)
    raise AssertionError("the live server's snapshot never saw the correction")


async def test_the_page_as_known_before_a_correction_shows_the_old_figure_and_without_it_the_new(
    page, committed_live_url, committed_engine, output_dir
):
    model, before, correction = await _priced_then_corrected(committed_live_url, committed_engine)
    await page.goto(f"{committed_live_url}/?{ONE_SESSION}&baseline={model}")
    figure = cell(page, model, "per_session")
    await expect(figure).to_have_text("$0.5")  # today's knowledge: the corrected price
    # The page compares the whole catalog, whose other models other tests may have corrected: this one is named.
    ours = page.locator("#answer-corrections li", has_text=f"Correction {correction}: {REASON}")
    await expect(ours).to_have_count(1)
    await expect(page.locator("#known-note")).to_contain_text("Priced on corrected data")
    await expect(page.locator("#history svg rect.corrected")).to_have_count(1)

    # As known when only the first price was recorded: the old figure, no correction named, and the page says so.
    await page.locator("#known_at").fill(before)
    await expect(figure).to_have_text("$1")
    await expect(cell(page, model, "monthly")).to_have_text("$1")
    assert query_of(page)["known_at"] == before
    await expect(page.locator("#known-note")).to_contain_text("As known at")
    await expect(ours).to_have_count(0)
    await expect(page.locator("#history-known")).to_be_visible()
    await expect(page.locator("#history svg rect.corrected")).to_have_count(0)  # no correction known then
    await expect(page.locator("#history-text")).not_to_contain_text("Corrected")

    # The URL round-trips: loaded again, the page is as known at the same instant.
    await page.reload()
    await expect(page.locator("#known_at")).to_have_value(before)
    await expect(figure).to_have_text("$1")
    await expect(page.locator("#alert")).to_be_hidden()
    await page.screenshot(path=output_dir / "estimator-known-at.png", full_page=True)
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.wait_for_timeout(300)  # the charts redraw at the new width after a short debounce
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways at 375px"
    await expect(page.locator("#known_at")).to_be_visible()
    await expect(page.locator("#known-note")).to_be_visible()
    await page.screenshot(path=output_dir / "estimator-known-at-phone.png", full_page=True)

    # Emptied: today's knowledge again, and the URL without it.
    await page.locator("#known_at").fill("")
    await expect(figure).to_have_text("$0.5")
    assert "known_at" not in query_of(page)
    await expect(page.locator("#history svg rect.corrected")).to_have_count(1)


async def test_a_known_at_that_is_not_an_instant_is_said_in_the_alert(page, live_url):
    await page.goto(f"{live_url}/?known_at=yesterday")
    await expect(page.locator("#alert")).to_contain_text("known_at")
