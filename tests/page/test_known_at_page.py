"""The page answers as known at an instant (issue 18): its "As known at" control is in the URL, passed on to every
request that prices or reads the history, and said on the page with the corrections an answer names."""

from __future__ import annotations

from playwright.async_api import expect

from tests.page.test_corrected_history import corrected_model
from tests.page.test_estimator_browser import cell, query_of

REASON = "the March price was half"
ONE_SESSION = "in=1000000&out=0&cache=0&retry=1&spm=1&at=2026-03-15"


async def test_the_page_as_known_before_a_correction_shows_the_old_figure_and_without_it_the_new(
    page, committed_live_url, committed_engine, output_dir
):
    model, before, correction = await corrected_model(committed_live_url, committed_engine, REASON)
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
