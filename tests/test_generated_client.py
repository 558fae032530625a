"""A client generated from the committed spec by openapi-python-client talks to the running app.

The spec is what partners generate their clients from: if a response did not match its schema, or a status the
app sends were missing from it, the generated code would fail to parse it (raise_on_unexpected_status is on).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
PACKAGE = "pricing_api_generated_client"
# No post-hooks: the generator would run ruff on its output, which only restyles it.
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    where = tmp_path_factory.mktemp("generated-client")
    (where / "config.yml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(generator), "generate", "--path", str(SPEC), "--meta", "none", "--config", str(where / "config.yml"),
         "--output-path", str(where / PACKAGE), "--fail-on-warning"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"the generator refused the spec:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def api(generated, client):
    """The generated client, sending its requests through the suite's client to the app on the test database."""
    return generated.Client(base_url=str(client.base_url), raise_on_unexpected_status=True) \
        .set_async_httpx_client(client)


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_the_generated_client_lists_the_models_page_by_page(api):
    list_models = _module("api.catalog.v1_models_list_models")
    first = await list_models.asyncio(client=api, limit=2)
    assert isinstance(first, _module("models").ModelPage) and len(first.data) == 2 and first.next_cursor
    seen = [model.id for model in first.data]
    cursor = first.next_cursor
    while cursor:
        page = await list_models.asyncio(client=api, limit=2, cursor=cursor)
        seen += [model.id for model in page.data]
        cursor = page.next_cursor
    assert "deepseek-v4-flash" in seen and len(seen) == len(set(seen))


async def test_the_generated_client_reads_the_launch_discount_price(api):
    price = await _module("api.catalog.v1_models_model_id_price_effective_price").asyncio(
        "deepseek-v4-flash", client=api, at="2026-04-30")
    assert isinstance(price, _module("models").EffectivePrice)
    assert (price.list_.input_per_mtok, price.effective.input_per_mtok) == ("0.14", "0.035")
    assert [promotion.percent_off for promotion in price.promotions] == ["75"]


async def test_the_generated_client_makes_an_estimate(api):
    models = _module("models")
    result = await _module("api.estimates.v1_estimate_estimate").asyncio(
        client=api, body=models.EstimateRequest(model="deepseek-v4-flash", input_tokens=50_000, output_tokens=20_000,
                                                at="2026-05-10"))
    assert isinstance(result, models.EstimateResult)
    assert (result.cost.input_, result.cost.output, result.cost.total) == ("0.007", "0.0056", "0.0126")


async def test_the_generated_client_gets_a_404_as_a_typed_problem(api):
    response = await _module("api.catalog.v1_models_model_id_get_model").asyncio_detailed("no-such-model", client=api)
    assert response.status_code == 404
    problem = response.parsed
    assert isinstance(problem, _module("models").Problem)
    assert (problem.status, problem.type_) == (404, "/problems/not-found")
    assert "no-such-model" in problem.detail
