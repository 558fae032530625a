"""The estimator page on a catalog of 10,000 models: ready in well under two seconds, searched, filtered, paged and
sorted, with one monthly request for the models shown and a few list requests, never one request per model."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

from playwright.async_api import expect

from tests.page.conftest import large_model_id
from tests.page.test_estimator_browser import FLASH, cell, expect_value, query_of

# Records when the table is filled in (every row shown has its figures, no placeholder is left), as milliseconds
# since navigation started.
TABLE_FILLED_PROBE = """
new MutationObserver((_, observer) => {
  const body = document.querySelector("#results tbody");
  if (body && body.querySelector('td[data-col="monthly"]') && !body.querySelector(".ph")) {
    window.tableFilledMs = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
# When the scripts started, and when each API request of the first view was sent and answered, in milliseconds
# since navigation started.
FIRST_VIEW_TIMES = """() => {
  const ms = (t) => Math.round(t);
  const scripts = ms(performance.getEntriesByType("navigation")[0].domContentLoadedEventStart);
  const calls = performance.getEntriesByType("resource").filter((e) => e.name.includes("/v1/"))
    .map((e) => `${new URL(e.name).pathname} ${ms(e.startTime)}-${ms(e.responseEnd)}`);
  return `scripts at ${scripts}; ${calls.join(", ")}`;
}"""
MONTHLY_MODELS, MONTHLY_ONE = "/v1/estimate/monthly/models", "/v1/estimate/monthly"
LISTS = ("/v1/models", "/v1/providers")


class ApiCalls:
    """The API requests the page makes, by path; the monthly ones keep the models they asked for."""

    def __init__(self, page) -> None:
        self.paths: Counter[str] = Counter()
        self.monthly_models: list[list[str]] = []
        page.on("request", self.record)

    def record(self, request) -> None:
        path = urlsplit(request.url).path
        if not path.startswith("/v1/"):
            return
        self.paths[path] += 1
        if path == MONTHLY_MODELS:
            self.monthly_models.append(json.loads(request.post_data)["models"])

    def lists(self) -> int:
        return sum(self.paths[path] for path in LISTS)


async def filled(page) -> None:
    """Waits until no figure of the rows shown is still a placeholder."""
    await expect(page.locator("#results tbody .ph")).to_have_count(0)


async def shown_models(page) -> list[str]:
    return await page.locator("#results tbody tr").evaluate_all("rows => rows.map((row) => row.dataset.model)")


async def test_ten_thousand_models_are_searched_filtered_paged_and_sorted_a_page_at_a_time(
    page, large_catalog_url, output_dir
):
    calls = ApiCalls(page)
    await page.add_init_script(TABLE_FILLED_PROBE)
    await page.goto(f"{large_catalog_url}/")
    await page.wait_for_function("() => window.tableFilledMs !== undefined")
    print(f"table filled at 10,000 models: {await page.evaluate('window.tableFilledMs'):.0f} ms after navigation "
          f"({await page.evaluate(FIRST_VIEW_TIMES)})")

    # The default view is the first page by id: the six seed models come first, with their usual figures.
    rows = page.locator("#results tbody tr")
    await expect(rows).to_have_count(50)
    await expect_value(page, FLASH, "per_session", "0.0126")
    await expect_value(page, FLASH, "monthly", "12.6")
    await expect_value(page, "gpt-4.1", "input_ratio", "14.29")
    await expect(page.locator("#page-status")).to_have_text("Page 1 · models 1–50")
    await expect(page.locator("#alert")).to_be_hidden()
    print(f"API requests for the first view: {dict(calls.paths)}")
    assert calls.paths[MONTHLY_MODELS] == 1 and len(calls.monthly_models[0]) == 50
    assert calls.paths[MONTHLY_ONE] == 0, "a monthly request per model"
    assert calls.paths["/v1/estimate/compare"] == 1
    assert calls.lists() == 2  # one page of models, one of providers
    assert sum(calls.paths.values()) <= 7  # and the baseline's price history: its prices, promotions, corrections

    # A search finds one model among 10,000; the baseline stays in view, the ratios being relative to it.
    wanted = large_model_id(4321)  # vendor22-model-04321: $5.4 and $21.6 per 1M tokens
    await page.fill("#q", "model-04321")
    await expect_value(page, wanted, "per_session", "0.702")
    await expect_value(page, wanted, "monthly", "702")
    assert sorted(await shown_models(page)) == [FLASH, wanted]
    assert query_of(page)["q"] == "model-04321"
    table = page.locator('section[aria-labelledby="table-title"]')
    await table.screenshot(path=output_dir / "estimator-10k-search.png")

    # A provider's models, a page at a time.
    await page.fill("#q", "")
    await page.select_option("#provider", "vendor07")
    await expect(cell(page, large_model_id(6), "monthly")).to_have_attribute("data-value", "91")
    await filled(page)
    first_page = await shown_models(page)
    assert len(first_page) == 51 and FLASH in first_page
    assert all(model.startswith("vendor07-") for model in first_page if model != FLASH)
    assert "q" not in query_of(page) and query_of(page)["provider"] == "vendor07"

    await page.get_by_role("button", name="Next").click()
    await expect(page.locator("#page-status")).to_have_text("Page 2 · models 51–100")
    await expect(rows.and_(page.locator(f'[data-model="{large_model_id(2506)}"]'))).to_have_count(1)
    await filled(page)
    second_page = await shown_models(page)
    assert len(second_page) == 51 and not set(second_page) & set(first_page) - {FLASH}
    assert query_of(page)["page"] == "2" and "cursor" in query_of(page)

    # Sorting by the month's cost orders the models shown, with no request.
    before = sum(calls.paths.values())
    await page.locator('th[data-key="monthly"] button').click()
    await expect(page.locator('th[data-key="monthly"]')).to_have_attribute("aria-sort", "ascending")
    monthly = await page.locator('#results tbody td[data-col="monthly"]').evaluate_all(
        "cells => cells.map((cell) => Number(cell.dataset.value))")
    assert monthly == sorted(monthly) and len(monthly) == 51
    assert sum(calls.paths.values()) == before
    await expect(page.locator("#bars svg rect.bar")).to_have_count(51)
    await expect(page.locator("#alert")).to_be_hidden()
    await page.screenshot(path=output_dir / "estimator-10k.png", full_page=True)

    # Four views (the first page, a search, a provider, its second page): one list and one monthly request each.
    print(f"API requests for four views: {dict(calls.paths)}")
    assert calls.paths[MONTHLY_MODELS] == 4 and calls.paths[MONTHLY_ONE] == 0
    assert all(len(models) <= 51 for models in calls.monthly_models)
    assert calls.paths["/v1/models"] == 4 and calls.paths["/v1/providers"] == 1

    # The view is in the URL: a shared link opens the same page, and Previous goes back to the first page.
    await page.goto(page.url)
    await expect(page.locator("#page-status")).to_have_text("Page 2 · models 51–100")
    await expect(page.locator("#provider")).to_have_value("vendor07")
    await expect(page.locator('th[data-key="monthly"]')).to_have_attribute("aria-sort", "ascending")
    await expect(rows.and_(page.locator(f'[data-model="{large_model_id(2506)}"]'))).to_have_count(1)
    await page.get_by_role("button", name="Previous").click()
    await expect(page.locator("#page-status")).to_have_text("Page 1 · models 1–50")
    await expect(rows.and_(page.locator(f'[data-model="{large_model_id(6)}"]'))).to_have_count(1)
    assert "page" not in query_of(page) and "cursor" not in query_of(page)
