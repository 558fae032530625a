"""Aliases: other names of an offering, with a history that only grows, resolved by estimates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.api.problems import ProblemError
from service.catalog import alias_schemas, aliases
from service.estimates import schemas
from service.estimates.compute import estimate_one
from service.snapshot.catalog_snapshot import load_snapshot
from tests.factories import make_model, make_price, make_provider, unique_slug
from tests.problems import assert_problem

JAN, MAR = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
LITELLM_KEY = "bedrock/anthropic.Claude-X-20260101-v1:0"


async def _offering(session: AsyncSession, input_per_mtok: str = "1") -> str:
    provider = await make_provider(session)
    offering = f"{provider.id}/{unique_slug('m')}"
    await make_model(session, offering, provider=provider.id)
    await make_price(session, offering, JAN, input_per_mtok=input_per_mtok)
    return offering


async def _alias(session: AsyncSession, name: str, model: str, valid_to: datetime | None = None):
    return await aliases.create_alias(session, alias_schemas.AliasCreate(
        alias=name, model=model, source="test", valid_from=JAN, valid_to=valid_to))


def _priced(snapshot, model: str, at: str = "2026-02-01T00:00:00Z") -> schemas.EstimateResult:
    request = schemas.EstimateRequest(model=model, input_tokens=1_000_000, output_tokens=0, at=at)
    return estimate_one(snapshot, request).body


async def test_an_estimate_by_alias_answers_with_the_offerings_id(session):
    offering = await _offering(session, "3")
    name = f"{LITELLM_KEY}-{unique_slug('a')}"
    await _alias(session, name, offering)
    result = _priced(await load_snapshot(session), name)
    assert result.model == offering and result.cost.total == "3"


async def test_an_alias_naming_two_offerings_at_once_is_a_409_listing_them(session):
    first, second = await _offering(session), await _offering(session)
    name = unique_slug("shared")
    await _alias(session, name, first)
    await _alias(session, name, second)
    with pytest.raises(ProblemError) as raised:
        _priced(await load_snapshot(session), name)
    assert raised.value.problem.type == "/problems/ambiguous-alias"
    assert raised.value.problem.offerings == sorted([first, second])


async def test_an_alias_names_its_offering_only_within_its_period(session):
    offering = await _offering(session)
    name = unique_slug("old-name")
    await _alias(session, name, offering, valid_to=MAR)
    snapshot = await load_snapshot(session)
    assert _priced(snapshot, name, "2026-02-01T00:00:00Z").model == offering
    with pytest.raises(ProblemError) as raised:
        _priced(snapshot, name, "2026-04-01T00:00:00Z")
    assert raised.value.problem.status == 404


async def test_aliases_are_created_listed_and_ended_over_http(client, session, writer):
    offering = await _offering(session)
    body = {"alias": f"{LITELLM_KEY}-{unique_slug('h')}", "model": offering, "source": "litellm key"}
    created = await client.post("/v1/aliases", json=body, headers=writer)
    assert created.status_code == 201, created.text
    alias = created.json()
    assert alias["model"] == offering and alias["valid_to"] is None
    listed = (await client.get("/v1/aliases", params={"alias": body["alias"]})).json()["data"]
    assert [row["id"] for row in listed] == [alias["id"]]
    ended = await client.patch(f"/v1/aliases/{alias['id']}", json={"valid_to": "2999-01-01T00:00:00Z"},
                               headers=writer)
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2999-01-01T00:00:00Z"
    again = await client.patch(f"/v1/aliases/{alias['id']}", json={"valid_to": "2999-02-01T00:00:00Z"},
                               headers=writer)
    assert_problem(again, 409, type="conflict")
    assert_problem(await client.get("/v1/aliases/999999999999"), 404, type="not-found")


async def test_an_alias_must_name_one_existing_offering_and_not_shadow_an_id(client, session, writer):
    offering = await _offering(session)
    shadow = {"alias": offering, "model": offering, "source": "x"}
    assert_problem(await client.post("/v1/aliases", json=shadow, headers=writer), 422, pointer="/alias")
    missing = {"alias": unique_slug("a"), "model": unique_slug("none"), "source": "x"}
    assert_problem(await client.post("/v1/aliases", json=missing, headers=writer), 422, pointer="/model")
    spaced = {"alias": "has space", "model": offering, "source": "x"}
    assert_problem(await client.post("/v1/aliases", json=spaced, headers=writer), 422, pointer="/alias")
    bare = offering.split("/")[1]
    reseller_only = {"alias": unique_slug("a"), "model": bare, "source": "x"}
    assert_problem(await client.post("/v1/aliases", json=reseller_only, headers=writer), 409,
                   type="offering-required")


async def test_the_database_refuses_to_rewrite_or_delete_an_alias(session):
    offering = await _offering(session)
    row = await _alias(session, unique_slug("kept"), offering)
    for statement in (f"UPDATE aliases SET model_id = model_id || 'x' WHERE id = {row.id}",
                      f"UPDATE aliases SET valid_from = valid_from - interval '1 day' WHERE id = {row.id}",
                      f"DELETE FROM aliases WHERE id = {row.id}"):
        with pytest.raises(DBAPIError, match="alias history only grows"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def _commit_alias(engine: AsyncEngine) -> tuple[str, str, int]:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        offering = await _offering(session)
        name = unique_slug("live")
        row = await _alias(session, name, offering)
    return offering, name, row.id


async def _until(check) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the snapshot never caught up")


async def test_the_served_snapshot_follows_aliases_as_they_are_made_and_ended(committed_engine, committed_keeper):
    offering, name, alias_id = await _commit_alias(committed_engine)
    await _until(lambda: committed_keeper.current.aliases.get(name))
    assert committed_keeper.current.resolve(name, MAR) == offering
    async with AsyncSession(committed_engine) as session, session.begin():
        await aliases.close_alias(session, alias_id, alias_schemas.AliasClose(valid_to=MAR))
    await _until(lambda: committed_keeper.current.aliases[name][0].valid_to is not None)
    assert committed_keeper.current.resolve(name, JAN) == offering
    with pytest.raises(ProblemError):
        committed_keeper.current.resolve(name, MAR)


async def test_catalog_reads_take_an_alias_in_force_now(client, session):
    offering = await _offering(session, "2")
    provider, _, model = offering.partition("/")
    name = f"{provider}/Vendor.{model}-v1:0"  # a provider's spelling, in two path segments
    await aliases.create_alias(session, alias_schemas.AliasCreate(alias=name, model=offering, source="test"))
    price = await client.get(f"/v1/models/{name}/price", params={"at": "2026-02-01"})
    assert price.status_code == 200, price.text
    assert price.json()["model"] == offering and price.json()["effective"]["input_per_mtok"] == "2"
    ended = unique_slug("ended")
    await _alias(session, ended, offering, valid_to=MAR)
    assert_problem(await client.get(f"/v1/models/{ended}/price"), 404, type="not-found")
