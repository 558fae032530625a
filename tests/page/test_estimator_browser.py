"""The estimator page in a real browser against the real service: the article's figures, inputs, shared URLs,
errors, sorting, both charts and prices with rules; screenshots land in test-output/."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import expect

from tests.factories import committed_model_and_key

FLASH, GPT41 = "deepseek-v4-flash", "gpt-4.1"
DEFAULT_QUERY = {"in": "50000", "out": "20000", "cache": "0", "retry": "1", "spm": "1000", "at": "2026-05-10",
                 "baseline": FLASH}
# Records when the first priced row appears, as milliseconds since navigation started, and adds up layout
# shifts (the Cumulative Layout Shift of Core Web Vitals) while the figures load.
FIRST_RESULT_PROBE = """
window.layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
}).observe({type: "layout-shift", buffered: true});
new MutationObserver((_, observer) => {
  if (document.querySelector('#results td[data-col="per_session"][data-value]')) {
    window.firstResultMs = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def cell(page, model: str, col: str):
    return page.locator(f'#results tr[data-model="{model}"] [data-col="{col}"]')


def query_of(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


async def expect_value(page, model: str, col: str, value: str) -> None:
    await expect(cell(page, model, col)).to_have_attribute("data-value", value)


async def test_first_load_shows_the_articles_session_at_its_date_and_both_charts(page, output_dir):
    await page.add_init_script(FIRST_RESULT_PROBE)
    await page.goto("/")
    await expect_value(page, FLASH, "per_session", "0.0126")
    print(f"time to first result: {await page.evaluate('window.firstResultMs'):.0f} ms")

    await expect(cell(page, FLASH, "per_session")).to_have_text("$0.0126")
    await expect_value(page, FLASH, "monthly", "12.6")
    await expect(cell(page, FLASH, "monthly")).to_have_text("$12.6")
    await expect_value(page, GPT41, "input_ratio", "14.29")
    await expect_value(page, GPT41, "output_ratio", "28.57")
    await expect(cell(page, GPT41, "input_ratio")).to_have_text("14.29×")
    assert query_of(page) == DEFAULT_QUERY
    assert await page.locator("#results tbody tr").count() == 6
    # The API's order, cheapest first, is the default sort.
    assert await page.locator("#results tbody tr").first.get_attribute("data-model") == FLASH

    await expect(page.locator("#bars svg rect.bar")).to_have_count(6)
    await expect(page.locator('#history svg path[data-series="input"]')).to_have_count(1)
    assert await page.locator('#history svg path[data-series="output"]').get_attribute("d")
    await expect(page.locator("#history svg rect.promo")).to_have_count(1)  # the V4-Flash launch discount
    await expect(page.locator("#alert")).to_be_hidden()
    layout_shift = await page.evaluate("window.layoutShift")
    print(f"layout shift while loading: {layout_shift:.4f}")
    assert layout_shift < 0.1, "space for the figures is not reserved: the page jumps while they load"
    await page.screenshot(path=output_dir / "estimator.png", full_page=True)

    await page.set_viewport_size({"width": 375, "height": 800})
    await page.wait_for_timeout(300)  # the charts redraw at the new width after a short debounce
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways at 375px"
    assert int(await page.locator("#bars svg").get_attribute("width")) < 375
    await page.screenshot(path=output_dir / "estimator-phone.png", full_page=True)


async def test_a_date_inside_the_launch_discount_prices_v4_flash_at_a_quarter(page):
    await page.goto("/")
    await expect_value(page, FLASH, "per_session", "0.0126")
    await page.fill("#at", "2026-04-30")
    await expect_value(page, FLASH, "per_session", "0.00315")
    await expect_value(page, FLASH, "monthly", "3.15")
    # GPT-4.1's known price starts on 2026-05-10: its row stays, saying so, instead of failing the page.
    await expect(cell(page, GPT41, "per_session")).to_have_text("no price on 2026-04-30")
    await expect(cell(page, GPT41, "monthly")).to_contain_text("has no price at 2026-04-30")
    assert query_of(page) == {**DEFAULT_QUERY, "at": "2026-04-30"}
    await expect(page.locator("#alert")).to_be_hidden()
    await expect(page.locator("#history svg line.at-marker")).to_have_count(1)


async def test_a_calendar_month_is_priced_in_parts_and_a_model_without_a_price_for_all_of_it_says_so(page):
    await page.goto("/")
    await expect_value(page, FLASH, "per_session", "0.0126")
    await page.check("#mode-month")
    await page.fill("#month", "2026-05")
    await expect_value(page, FLASH, "monthly", "11.3806451613")
    await expect(cell(page, FLASH, "monthly")).to_contain_text("2 price periods")
    await expect_value(page, FLASH, "per_session", "0.00315")  # the month's first instant, inside the discount
    await expect(cell(page, GPT41, "monthly")).to_contain_text("has no price from 2026-05-01")
    query = query_of(page)
    assert query["month"] == "2026-05" and "at" not in query
    await expect(page.locator("#alert")).to_be_hidden()
    await expect(page.locator("#history svg rect.at-band")).to_have_count(1)


async def test_a_shared_url_restores_the_inputs_and_the_sort(page):
    await page.goto("/?in=100000&out=2000&cache=0.8&retry=1.8&spm=10&at=2026-05-10&baseline=gpt-4.1"
                    "&sort=monthly&order=desc&log=1")
    # 20,000 uncached and 80,000 cached input tokens, 2,000 output; 10 sessions at a 1.8 retry factor.
    await expect_value(page, FLASH, "per_session", "0.003584")
    await expect_value(page, FLASH, "monthly", "0.064512")
    await expect_value(page, GPT41, "total_ratio", "1")
    assert await page.input_value("#in") == "100000"
    assert await page.input_value("#retry") == "1.8"
    assert await page.input_value("#baseline") == GPT41
    assert await page.is_checked("#log")
    await expect(page.locator('th[data-key="monthly"]')).to_have_attribute("aria-sort", "descending")
    await expect_value(page, GPT41, "monthly", "3.888")  # no cache price: cached tokens at the input price
    await expect(page.locator("#results tbody tr").first).to_have_attribute("data-model", "gpt-5.5")


async def test_an_api_problem_shows_its_detail_in_the_alert_region_until_the_input_is_fixed(page):
    await page.goto("/")
    await expect_value(page, FLASH, "per_session", "0.0126")
    await page.fill("#retry", "20")
    alert = page.locator('[role="alert"]')
    await expect(alert).to_be_visible()
    await expect(alert).to_contain_text("retry_factor must be between 1 and 10")
    assert query_of(page)["retry"] == "20"
    await page.fill("#retry", "1.8")
    await expect(alert).to_be_hidden()
    await expect_value(page, FLASH, "monthly", "22.68")
    # A number field the browser cannot read is named by the page itself, rather than sent as a type error.
    await page.fill("#in", "")
    await expect(alert).to_have_text("Input tokens per session must be a whole number.")
    await expect(page.locator("#results")).to_have_class(re.compile(r"\bstale\b"))


async def test_headings_sort_by_click_and_by_keyboard(page):
    await page.goto("/")
    await expect_value(page, FLASH, "monthly", "12.6")
    await expect_value(page, "gpt-5.5", "monthly", "850")
    rows = page.locator("#results tbody tr")
    ratio = page.locator('th[data-key="total_ratio"]')
    await ratio.locator("button").click()
    await expect(ratio).to_have_attribute("aria-sort", "ascending")
    await expect(rows.first).to_have_attribute("data-model", FLASH)
    await ratio.locator("button").click()  # a second click reverses the order
    await expect(ratio).to_have_attribute("aria-sort", "descending")
    await expect(rows.first).to_have_attribute("data-model", "gpt-5.5")
    await page.focus('th[data-key="model"] button')
    await page.keyboard.press("Enter")
    await expect(page.locator('th[data-key="model"]')).to_have_attribute("aria-sort", "ascending")
    await expect(rows.first).to_have_attribute("data-model", "claude-opus-4.7")  # alphabetical by name
    assert query_of(page)["sort"] == "model"


async def test_a_preset_fills_the_inputs_and_the_log_scale_redraws_the_bars(page):
    await page.goto("/")
    await expect_value(page, FLASH, "per_session", "0.0126")
    chat = page.get_by_role("button", name="Chat turn (2K in / 500 out)")
    await chat.click()
    await expect(chat).to_have_attribute("aria-pressed", "true")
    await expect_value(page, FLASH, "per_session", "0.00042")
    assert query_of(page)["in"] == "2000"
    linear = await page.locator("#bars svg").inner_html()
    await page.get_by_label("log scale").check()
    bars = page.locator("#bars svg")
    await expect(bars).to_have_attribute("aria-label", re.compile(r"^Monthly cost per model, log scale"))
    await expect(bars.locator("rect.bar")).to_have_count(6)
    assert await bars.inner_html() != linear
    assert query_of(page)["log"] == "1"


# A long-context tier above 200K prompt tokens, an off-peak window from 02:00 to 08:00 UTC every day, and a batch
# rate at half price; the flat model next to it offers no batch rate.
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RULED_PRICE = {
    "valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "2", "output_per_mtok": "8", "source": "page test",
    "rules": {
        "context_tiers": [{"above_prompt_tokens": 200000, "input_per_mtok": "4", "output_per_mtok": "12"}],
        "time_windows": [{"name": "off-peak", "timezone": "UTC", "days": EVERY_DAY, "start": "02:00", "end": "08:00",
                          "multiplier": "0.5"}],
        "variants": [{"kind": "batch", "multiplier": "0.5"}],
    },
}
FLAT_PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2",
              "source": "page test"}


async def priced_model(live_url: str, engine, prefix: str, price: dict) -> str:
    """A committed model priced through the live server's API, returned once that server's snapshot has it."""
    model_id, headers = await committed_model_and_key(engine, prefix)
    async with httpx.AsyncClient(base_url=live_url) as api:
        created = await api.post(f"/v1/models/{model_id}/prices", json=price, headers=headers)
        assert created.status_code == 201, created.text
        probe = {"model": model_id, "input_tokens": 1, "output_tokens": 1, "at": "2026-05-10"}
        for _ in range(200):
            if (await api.post("/v1/estimate", json=probe)).status_code == 200:
                return model_id
            await asyncio.sleep(0.02)
    raise AssertionError("the live server's snapshot never saw the new price")


async def test_a_price_with_rules_shows_its_tier_its_batch_rate_and_its_time_window(
    page, committed_live_url, committed_engine, output_dir
):
    ruled = await priced_model(committed_live_url, committed_engine, "pageruled", RULED_PRICE)
    flat = await priced_model(committed_live_url, committed_engine, "pageflat", FLAT_PRICE)
    await page.goto(f"{committed_live_url}/?baseline={ruled}")
    # 50K input and 20K output tokens at $2 and $8 per 1M, at 2026-05-10 00:00 UTC: outside the window.
    await expect_value(page, ruled, "per_session", "0.26")
    await expect(cell(page, ruled, "rates")).to_have_text("$2 / $8")
    await expect(page.locator("#notes")).to_contain_text("this price changes with the time of day (off-peak)")

    # A 250,000-token prompt is above the tier: all its tokens at $4 and $12.
    await page.fill("#in", "250000")
    await expect_value(page, ruled, "per_session", "1.24")
    rates = cell(page, ruled, "rates")
    await expect(rates).to_have_attribute("data-value", "4")
    await expect(rates).to_contain_text("$4 / $12")
    await expect(rates.locator(".sub")).to_have_text("long-context tier above 200,000 tokens")

    # Batch halves the cost; the flat model, which has no batch rate, says so in its row instead of failing.
    await page.select_option("#processing", "batch")
    await expect_value(page, ruled, "per_session", "0.62")
    await expect(rates.locator(".sub")).to_have_text("long-context tier above 200,000 tokens · batch")
    await expect_value(page, ruled, "monthly", "620")
    await expect(cell(page, flat, "per_session")).to_have_text("no batch price on 2026-05-10")
    await expect(cell(page, flat, "monthly")).to_contain_text("offers no batch rate")
    await expect(page.locator("#alert")).to_be_hidden()

    # A request at 03:00 UTC is inside the off-peak window: half again, per session and for the month.
    await page.fill("#requested", "2026-05-10T03:00")
    await expect_value(page, ruled, "per_session", "0.31")
    await expect(rates.locator(".sub")).to_have_text("long-context tier above 200,000 tokens · batch · off-peak window")
    await expect(rates).to_contain_text("$1 / $3")
    await expect_value(page, ruled, "monthly", "310")
    await expect(page.locator("#notes")).not_to_contain_text("changes with the time of day")
    assert query_of(page) == {**DEFAULT_QUERY, "baseline": ruled, "in": "250000", "processing": "batch",
                              "requested": "2026-05-10T03:00"}
    # The price's rules in words, under the history of the baseline model.
    rules = page.locator("#rules")
    await expect(rules).to_be_visible()
    await expect(rules.locator("li")).to_have_text([
        "long-context tier above 200,000 prompt tokens: input $4, output $12 per 1M tokens",
        "off-peak window, every day 02:00–08:00 UTC: rates × 0.5",
        "batch: rates × 0.5",
    ])
    await expect(page.locator("#history-text")).to_contain_text("; batch: rates × 0.5")
    await page.screenshot(path=output_dir / "estimator-rules.png", full_page=True)

    # Over a calendar month, sessions spread evenly meet the window a quarter of the time (6 of 24 hours);
    # office hours (09:00-17:00 UTC on weekdays) never do.
    await page.check("#mode-month")
    await page.fill("#month", "2026-05")
    await expect_value(page, ruled, "monthly", "542.5")
    await page.select_option("#spread", "office")
    monthly = cell(page, ruled, "monthly")
    await expect(monthly).to_contain_text("21 price periods")  # the 21 weekdays of May 2026
    # Exactly 620, as at one instant: the 21 parts are apportioned so that they add up to the exact total.
    assert await monthly.get_attribute("data-value") == "620"
    assert query_of(page)["spread"] == "office"

    # The settings come back from a shared URL.
    await page.goto(page.url)
    await expect(monthly).to_contain_text("21 price periods")
    assert await page.input_value("#processing") == "batch"
    assert await page.input_value("#requested") == "2026-05-10T03:00"
    assert await page.input_value("#spread") == "office"

    # A request the API refuses is a problem in the alert region: batch has no service tier, and a baseline
    # without a priority rate cannot be compared at that rate.
    alert = page.locator('[role="alert"]')
    await page.select_option("#tier", "priority")
    await expect(alert).to_contain_text("batch processing has no service tier")
    await page.select_option("#processing", "standard")
    await expect(alert).to_have_text(f"model '{ruled}': this price offers no priority rate (variants offered: batch)")
    await page.select_option("#tier", "standard")
    await expect(alert).to_be_hidden()
    await expect_value(page, ruled, "per_session", "0.62")  # the month's first day, at 03:00: off-peak, no batch
