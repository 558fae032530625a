"""Project assumptions: versions over valid time with sources, whose history only grows, over HTTP and in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.factories import unique_slug
from tests.problems import assert_problem

JAN, MAR = "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"
SIZE = {"kind": "project-size", "mix": {"simple": "0.5", "moderate": "0.5"}, "context_multiplier": "1.2"}


def _body(key: str, valid_from: str, figures: dict | None = None, **extra: object) -> dict:
    return {"key": key, "figures": figures or SIZE, "source": "test: a team's own measurements", "assumed": True,
            "valid_from": valid_from, **extra}


async def test_the_seed_holds_the_articles_figures_with_their_sources(client):
    page = (await client.get("/v1/assumptions", params={"key": "deepseek-v4-flash", "at": "2026-05-10"})).json()
    [flash] = page["data"]
    assert flash["kind"] == "retry-factor" and flash["assumed"] is False and "1.6-1.8x" in flash["source"]
    assert flash["figures"]["by_complexity"]["complex"] == {"low": "1.6", "high": "1.8"}
    node = (await client.get("/v1/assumptions", params={"key": "a100-node"})).json()["data"][0]
    assert node["figures"]["cost_per_mtok_range"] == {"low": "0.02", "high": "0.04"}
    kinds = {row["kind"] for row in (await client.get("/v1/assumptions", params={"limit": 500})).json()["data"]}
    assert kinds == {"tooling", "project-size", "retry-factor", "self-host"}


async def test_a_new_version_closes_the_open_one_and_both_stay_readable(client, writer):
    key = unique_slug("size")
    first = (await client.post("/v1/assumptions", json=_body(key, JAN), headers=writer)).json()
    changed = {**SIZE, "context_multiplier": "1.8"}
    second = await client.post("/v1/assumptions", json=_body(key, MAR, changed), headers=writer)
    assert second.status_code == 201, second.text
    assert (first["version"], second.json()["version"]) == (1, 2)
    old = (await client.get(f"/v1/assumptions/{first['id']}")).json()
    assert old["valid_to"] == "2026-03-01T00:00:00Z" and old["figures"]["context_multiplier"] == "1.2"
    at_feb = (await client.get("/v1/assumptions", params={"key": key, "at": "2026-02-01"})).json()["data"]
    assert [row["version"] for row in at_feb] == [1]


async def test_an_overlapping_or_repeated_start_is_a_409(client, writer):
    key = unique_slug("size")
    await client.post("/v1/assumptions", json=_body(key, MAR, valid_to="2026-04-01T00:00:00Z"), headers=writer)
    overlap = _body(key, "2026-02-01T00:00:00Z", valid_to="2026-03-15T00:00:00Z")
    assert_problem(await client.post("/v1/assumptions", json=overlap, headers=writer), 409, type="conflict")


async def test_an_assumption_is_ended_once(client, writer):
    key = unique_slug("size")
    row = (await client.post("/v1/assumptions", json=_body(key, JAN), headers=writer)).json()
    ended = await client.patch(f"/v1/assumptions/{row['id']}", json={"valid_to": "2026-02-01T00:00:00Z"},
                               headers=writer)
    assert ended.json()["valid_to"] == "2026-02-01T00:00:00Z"
    again = await client.patch(f"/v1/assumptions/{row['id']}", json={"valid_to": "2026-03-01T00:00:00Z"},
                               headers=writer)
    assert_problem(again, 409, type="conflict")


@pytest.mark.parametrize(("figures", "pointer", "kind"), [
    ({**SIZE, "mix": {"simple": "0.5", "moderate": "0.4"}}, "/figures/mix", "invalid-amount"),
    ({**SIZE, "context_multiplier": "NaN"}, "/figures/context_multiplier", "invalid-amount"),
    ({"kind": "retry-factor", "by_complexity": {"simple": {"low": "0.5", "high": "1"},
      "moderate": {"low": "1", "high": "1"}, "complex": {"low": "1", "high": "1"}}},
     "/figures/by_complexity/simple", "invalid-amount"),
    ({"kind": "tooling", "sessions_per_feature": {"simple": "1"}, "first_prompt_tokens": -1,
      "output_tokens_per_turn": 1}, "/figures/first_prompt_tokens", "validation-error"),
    ({"kind": "tooling", "sessions_per_feature": {"simple": "1"}, "first_prompt_tokens": 1,
      "output_tokens_per_turn": 1, "cache_read_share": {"low": "0.9", "high": "0.5"}},
     "/figures/cache_read_share/high", "invalid-amount"),
    ({"kind": "self-host", "model": "x", "node_hourly_usd": "1", "utilization": "0.8"},
     "/figures/cost_per_mtok_range", "validation-error"),
    ({"kind": "weather"}, "/figures/kind", "validation-error"),
])
async def test_bad_figures_are_a_422_naming_the_field(client, writer, figures, pointer, kind):
    response = await client.post("/v1/assumptions", json=_body(unique_slug("k"), "2026-01-01T00:00:00Z", figures),
                                 headers=writer)
    assert_problem(response, 422, type=kind, pointer=pointer)


async def test_writes_need_the_catalog_write_scope(client):
    assert_problem(await client.post("/v1/assumptions", json=_body("x", "2026-01-01T00:00:00Z")), 401)


async def test_the_database_refuses_to_rewrite_delete_or_store_nan(session):
    row_id = await session.scalar(text("SELECT id FROM assumptions WHERE key = 'chat' LIMIT 1"))
    for statement in (f"UPDATE assumptions SET figures = '{{}}' WHERE id = {row_id}",
                      f"UPDATE assumptions SET valid_from = valid_from - interval '1 day' WHERE id = {row_id}",
                      f"DELETE FROM assumptions WHERE id = {row_id}"):
        with pytest.raises(DBAPIError, match="assumption history only grows"):
            async with session.begin_nested():
                await session.execute(text(statement))
    with pytest.raises(DBAPIError, match="assumptions_figures_check"):
        async with session.begin_nested():
            await session.execute(text(
                "INSERT INTO assumptions (kind, key, version, figures, assumed, source, valid_from) VALUES "
                "('project-size', 'nan-size', 1, '{\"context_multiplier\": \"NaN\"}', true, 't', now())"))


async def test_the_database_refuses_overlapping_versions(session):
    insert = ("INSERT INTO assumptions (kind, key, version, figures, assumed, source, valid_from) VALUES "
              "('project-size', 'twice', {v}, '{{}}', true, 't', '2026-01-0{v}')")
    await session.execute(text(insert.format(v=1)))
    with pytest.raises(DBAPIError, match="assumptions_no_overlap"):
        async with session.begin_nested():
            await session.execute(text(insert.format(v=2)))
