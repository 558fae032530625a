"""The price snapshot feed and the LiteLLM export: feeds:read only, conditional GETs, exact numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest


async def test_feeds_refuse_anonymous_and_wrong_scope_calls(client, writer):
    for path in ("/v1/feeds/prices", "/v1/feeds/changes", "/v1/feeds/litellm"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers=writer)).status_code == 403


async def test_the_price_feed_lists_every_model_priced_at_that_instant(client, reader):
    response = await client.get("/v1/feeds/prices", params={"at": "2026-04-30"}, headers=reader)
    assert response.status_code == 200
    body = response.json()
    assert [row["model"] for row in body["data"]] == ["deepseek-v4-flash", "deepseek-v4-pro"]
    flash = body["data"][0]
    assert flash["provider"] == "deepseek"
    assert (flash["list"]["input_per_mtok"], flash["effective"]["input_per_mtok"]) == ("0.14", "0.035")
    assert response.headers["cache-control"] == "private, max-age=300"


async def test_the_price_feed_answers_304_to_a_matching_etag(client, reader):
    first = await client.get("/v1/feeds/prices", params={"at": "2026-05-10"}, headers=reader)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    again = await client.get("/v1/feeds/prices", params={"at": "2026-05-10"},
                             headers={**reader, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = await client.get("/v1/feeds/prices", params={"at": "2026-04-30"},
                             headers={**reader, "If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize("ask", [{"headers": {"Accept": "text/csv"}}, {"params": {"format": "csv"}}])
async def test_the_price_feed_speaks_csv(client, reader, ask):
    headers = {**reader, **ask.get("headers", {})}
    response = await client.get("/v1/feeds/prices", params={"at": "2026-05-10", **ask.get("params", {})},
                                headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 6
    gpt = next(row for row in rows if row["model"] == "gpt-5.5")
    assert (gpt["input_per_mtok"], gpt["output_per_mtok"], gpt["cache_read_per_mtok"]) == ("5", "30", "")
    json_etag = (await client.get("/v1/feeds/prices", params={"at": "2026-05-10"}, headers=reader)).headers["etag"]
    assert response.headers["etag"] != json_etag


async def test_the_litellm_export_has_litellms_keys_and_per_token_prices(client, reader):
    response = await client.get("/v1/feeds/litellm", params={"at": "2026-04-30"}, headers=reader)
    assert response.status_code == 200
    # Per-token numbers must survive as exact decimals: read them as such.
    body = __import__("json").loads(response.text, parse_float=Decimal)
    flash = body["deepseek/deepseek-v4-flash"]  # LiteLLM routes DeepSeek by its prefix (docs/api.md)
    # LiteLLM's documented entry: litellm_provider, mode, input/output_cost_per_token, cache_read_input_token_cost,
    # max_input_tokens when known. Values are USD per token.
    assert flash == {
        "litellm_provider": "deepseek", "mode": "chat",
        "input_cost_per_token": Decimal("3.5E-8"), "output_cost_per_token": Decimal("7E-8"),
        "cache_read_input_token_cost": Decimal("7E-10"),
    }
    for entry in body.values():
        assert entry["litellm_provider"] in {"deepseek", "openai", "anthropic"}
        assert entry["mode"] == "chat"
        assert all(isinstance(v, Decimal) and v >= 0 for k, v in entry.items() if k.endswith(("_per_token", "_cost")))


async def test_the_litellm_export_can_namespace_its_keys(client, reader):
    body = (await client.get("/v1/feeds/litellm", params={"at": "2026-05-10", "prefix": "ourfeed"},
                             headers=reader)).json()
    assert "ourfeed/gpt-4.1" in body and body["ourfeed/gpt-4.1"]["input_cost_per_token"] == 2e-06


async def test_polling_the_current_prices_gets_a_304_while_they_stay_the_same(client, reader):
    first = await client.get("/v1/feeds/prices", headers=reader)
    assert first.json()["at"] is None and first.headers["cache-control"] == "private, no-cache"
    again = await client.get("/v1/feeds/prices", headers={**reader, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    litellm = await client.get("/v1/feeds/litellm", headers=reader)
    assert (await client.get("/v1/feeds/litellm", headers={
        **reader, "If-None-Match": litellm.headers["etag"]})).status_code == 304


@pytest.mark.parametrize("encoding", ["zstd", "br", "gzip"])
async def test_the_feeds_come_compressed_as_asked_with_an_etag_of_their_own(client, reader, encoding):
    plain = await client.get("/v1/feeds/prices", params={"at": "2026-05-10"},
                             headers={**reader, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = await client.get("/v1/feeds/prices", params={"at": "2026-05-10"},
                              headers={**reader, "Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert packed.headers["content-encoding"] == encoding and "Accept-Encoding" in packed.headers["vary"]
    assert packed.content == plain.content  # httpx decoded it: the same feed
    assert packed.headers["etag"] != plain.headers["etag"]
    again = await client.get("/v1/feeds/prices", params={"at": "2026-05-10"},
                             headers={**reader, "Accept-Encoding": encoding, "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304


async def test_a_weak_or_wildcard_if_none_match_also_gets_a_304(client, reader):
    first = await client.get("/v1/feeds/litellm", params={"at": "2026-05-10"}, headers=reader)
    for tag in (f"W/{first.headers['etag']}", '"other", ' + first.headers["etag"], "*"):
        again = await client.get("/v1/feeds/litellm", params={"at": "2026-05-10"},
                                 headers={**reader, "If-None-Match": tag})
        assert again.status_code == 304, tag
