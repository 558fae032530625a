"""The Project tab in a real browser against the real service: plans cheapest first with the hybrid and self-host
beside the models, state in the URL, per-field errors, and a phone's width; screenshots land in test-output/."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import expect


def query_of(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def plan_cell(page, plan: str, bound: str):
    return page.locator(f'#plans tr[data-plan="{plan}"] td[data-col="{bound}"]')


async def test_the_tab_prices_the_default_project_with_hybrid_and_self_host_beside_the_models(page, output_dir):
    await page.goto("/project")
    await expect(page.locator("#plans tbody tr")).to_have_count(8)  # six models, the hybrid, the node
    kinds = await page.locator("#plans tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert {"model", "hybrid", "self-host"} == set(kinds)
    expected = await page.locator('#plans td[data-col="expected"]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.value))")
    assert expected == sorted(expected), "plans are not cheapest first"
    await expect(page.locator(".plan-row")).to_have_count(8)
    await expect(page.locator("#assumptions li")).not_to_have_count(0)
    assert query_of(page) == {"size": "medium", "features": "40", "tooling": "ide-assistant", "strategy": "both",
                              "at": "2026-05-10"}
    await page.screenshot(path=output_dir / "project.png", full_page=True)

    await page.set_viewport_size({"width": 375, "height": 800})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375, "the tab scrolls sideways at 375px"
    await page.screenshot(path=output_dir / "project-phone.png", full_page=True)


async def test_a_shared_url_reproduces_the_articles_simple_session_and_follows_the_form(page):
    await page.goto("/project?size=small&features=10&tooling=chat&strategy=none&at=2026-05-10")
    await expect(page.locator("#plans tbody tr")).to_have_count(6)
    await expect(plan_cell(page, "deepseek-v4-flash", "low")).to_have_attribute("data-value", "0.23184")
    await expect(plan_cell(page, "deepseek-v4-flash", "high")).to_have_attribute("data-value", "0.24192")
    await page.select_option("#strategy", "hybrid")
    await expect(plan_cell(page, "hybrid:deepseek-v4-flash+claude-opus-4.7", "expected")).to_have_attribute(
        "data-value", "3.23688")
    assert query_of(page)["strategy"] == "hybrid"


async def test_a_negative_feature_count_shows_the_apis_field_error(page):
    await page.goto("/project?features=-1")
    await expect(page.locator("#project-alert")).to_be_visible()
    await expect(page.locator("#project-alert")).to_contain_text("project.features")
    await page.fill("#features", "5")
    await expect(page.locator("#project-alert")).to_be_hidden()
    await expect(page.locator("#plans tbody tr")).to_have_count(8)


async def test_the_tabs_link_the_two_estimators(page):
    await page.goto("/")
    await page.click("nav.tabs >> text=Project")
    await expect(page).to_have_url(re.compile(r"/project(\?|$)"))
    await expect(page.locator('nav.tabs a[aria-current="page"]')).to_have_text("Project")
