"""The seed catalog: the article's six models and prices, and V4-Flash's launch discount."""

from __future__ import annotations


async def test_v4_flash_on_2026_04_30_is_listed_at_0_14_and_costs_0_035_during_the_launch_discount(client):
    response = await client.get("/v1/models/deepseek-v4-flash/price", params={"at": "2026-04-30"})
    assert response.status_code == 200
    body = response.json()
    assert body["at"] == "2026-04-30T00:00:00Z"
    assert body["list"] == {"input_per_mtok": "0.14", "output_per_mtok": "0.28",
                            "cache_read_per_mtok": "0.0028", "cache_write_per_mtok": None}
    assert body["effective"] == {"input_per_mtok": "0.035", "output_per_mtok": "0.07",
                                 "cache_read_per_mtok": "0.0007", "cache_write_per_mtok": None}
    assert [(p["name"], p["percent_off"]) for p in body["promotions"]] == [("V4-Flash launch discount", "75")]


async def test_the_launch_discount_has_ended_on_2026_05_05(client):
    body = (await client.get("/v1/models/deepseek-v4-flash/price", params={"at": "2026-05-05"})).json()
    assert body["promotions"] == []
    assert body["effective"]["input_per_mtok"] == "0.14"


async def test_the_seed_holds_the_article_models_with_their_list_prices_on_its_date(client):
    expected = {
        "deepseek-v4-flash": ("0.14", "0.28"), "deepseek-v4-pro": ("0.435", "0.87"), "gpt-4.1": ("2", "8"),
        "claude-sonnet-4.6": ("3", "15"), "claude-opus-4.7": ("5", "25"), "gpt-5.5": ("5", "30"),
    }
    for model, (input_price, output_price) in expected.items():
        body = (await client.get(f"/v1/models/{model}/price", params={"at": "2026-05-10T12:00:00Z"})).json()
        assert (body["list"]["input_per_mtok"], body["list"]["output_per_mtok"]) == (input_price, output_price)
        prices = (await client.get(f"/v1/models/{model}/prices")).json()["data"]
        assert all(p["source"].startswith("article") for p in prices)


async def test_facts_the_article_does_not_give_stay_null(client):
    gpt = (await client.get("/v1/models/gpt-4.1")).json()
    assert gpt["context_window"] is None and gpt["released_on"] is None
    flash = (await client.get("/v1/models/deepseek-v4-flash")).json()
    assert flash["released_on"] == "2026-04-24" and flash["open_weights"] is True
    pro = (await client.get("/v1/models/deepseek-v4-pro/price", params={"at": "2026-05-10"})).json()
    assert pro["list"]["cache_read_per_mtok"] is None


async def test_providers_are_the_three_of_the_article(client):
    body = (await client.get("/v1/providers")).json()
    assert {"deepseek", "openai", "anthropic"} <= {p["id"] for p in body["data"]}
