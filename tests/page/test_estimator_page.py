"""The estimator page over plain HTTP: served at `/`, small, self-contained, using only the public API, and
absent from the OpenAPI contract."""

from __future__ import annotations

import re

import pytest

PAGE_BUDGET_BYTES = 100_000
# The only API calls the page may make: the public, browser-open reads and estimates.
ALLOWED_API_PATHS = {"/v1/models", "/v1/providers", "/v1/estimate/compare", "/v1/estimate/monthly/models",
                     "/v1/estimate/batch", "/v1/promotions?model=", "/v1/corrections?model="}


async def page_and_assets(client) -> tuple[str, dict[str, bytes]]:
    page = await client.get("/")
    assets = {}
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        response = await client.get(path)
        assert response.status_code == 200, path
        assets[path] = response.content
    return page.text, assets


async def test_the_page_is_html_served_at_the_root_with_a_same_origin_only_policy(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<table" in response.text and 'role="alert"' in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy


async def test_the_page_with_its_css_and_javascript_weighs_under_100_kb(client):
    html, assets = await page_and_assets(client)
    assert {path.split("?")[0] for path in assets} == {
        "/static/estimator.css", "/static/charts.js", "/static/estimator.js", "/static/estimator-render.js",
        "/static/estimator-requests.js"}
    total = len(html.encode()) + sum(len(body) for body in assets.values())
    print(f"page size: {total} bytes")
    assert total < PAGE_BUDGET_BYTES


async def test_assets_have_their_types_and_unknown_names_are_404_problems(client):
    css = await client.get("/static/estimator.css")
    assert css.headers["content-type"].startswith("text/css")
    js = await client.get("/static/estimator.js")
    assert js.headers["content-type"].startswith("text/javascript")
    missing = await client.get("/static/..%2Fsettings.py")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_page_loads_nothing_from_elsewhere_and_calls_only_the_public_api(client):
    html, assets = await page_and_assets(client)
    text = html + "".join(body.decode() for body in assets.values())
    # The SVG namespace is a name, not a download.
    assert set(re.findall(r"https?://[^\s\"'`)]+", text)) <= {"http://www.w3.org/2000/svg"}
    called = set(re.findall(r"/v1/[a-z/]+(?:\?model=)?", text))
    assert called - {"/v1/models/"} <= ALLOWED_API_PATHS, called  # "/v1/models/" + id + "/prices" is built
    assert "/prices`" in text


async def test_the_request_settings_are_labelled_controls_whose_defaults_are_the_apis(client):
    html = (await client.get("/")).text
    # Each control sits inside its label, so the label names it for a screen reader and a click focuses it.
    pairs = re.findall(r'<label>([^<]+?) <(?:input|select) id="([a-z]+)"', html)
    labelled = {control: label for label, control in pairs}
    assert labelled["requested"] == "Request time (UTC)"
    assert labelled["processing"] == "Processing"
    assert labelled["tier"] == "Service tier"
    assert labelled["spread"] == "Requests over the day"
    assert re.search(r'id="requested" name="requested" type="datetime-local"', html)

    def options(select: str) -> list[str]:
        body = re.search(rf'<select id="{select}".*?</select>', html, re.DOTALL)
        assert body, select
        return re.findall(r'<option value="([^"]*)"', body.group())

    # The first option is the one shown, and the API's default: the page sends nothing for it.
    assert options("processing") == ["standard", "batch"]
    assert options("tier") == ["standard", "flex", "priority"]
    assert options("spread") == ["uniform", "office"]


@pytest.mark.parametrize("path", ["/", "/static/{name}"])
async def test_the_page_is_not_part_of_the_openapi_contract(client, path):
    spec = (await client.get("/schema/openapi.json")).json()
    assert path not in spec["paths"]
