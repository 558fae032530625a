"""The lists' filtered first pages read in proportion to the page, not the catalog, at 10,000 models.

Each statement the routes run is EXPLAIN ANALYZEd on a generated catalog (tests/catalog/generated_catalog.py):
no sequential scan of models or prices, and the rows the scans of those tables produce or pass over stay within
a few pages, while the tables hold 10,000 and 50,000 rows. A `q` of one or two characters has no trigram to look
up and is not among them: it is read in id order until a page is found.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.catalog import list_queries as lists
from service.db import migrations
from service.db.engine import make_engine
from tests.catalog.generated_catalog import MODELS, RARE_WORD, generate

PAGE = 50
# A page, one price probe for each of its models, and the rows a filter passes over on the way.
MOST_ROWS_READ = 5 * (PAGE + 1)
MID_2025 = datetime(2025, 6, 1, tzinfo=UTC)

CASES = {
    "models of a provider": lists.models_query(lists.ModelFilters(provider="gen-p007"), after=None, limit=PAGE),
    "models with a rare word": lists.models_query(lists.ModelFilters(q=RARE_WORD), after=None, limit=PAGE),
    "models with common text": lists.models_query(lists.ModelFilters(q="MODEL 1"), after=None, limit=PAGE),
    "models priced at an instant": lists.models_query(lists.ModelFilters(priced_at=MID_2025), after=None, limit=PAGE),
    "a later page of models priced then": lists.models_query(
        lists.ModelFilters(priced_at=MID_2025), after=f"gen-m{MODELS // 2:05}", limit=PAGE),
    "models by every filter": lists.models_query(
        lists.ModelFilters(provider="gen-p007", q=RARE_WORD, priced_at=MID_2025), after=None, limit=PAGE),
    "providers with a model priced then": lists.providers_query(
        lists.ProviderFilters(priced_at=MID_2025), after=None, limit=PAGE),
    "promotions of a model": lists.promotions_query(lists.PromotionFilters(model="gen-m00008"), after=None, limit=PAGE),
    "promotions of a provider": lists.promotions_query(
        lists.PromotionFilters(provider="gen-p008"), after=None, limit=PAGE),
    "promotions in force then": lists.promotions_query(
        lists.PromotionFilters(active_at=datetime(2025, 3, 15, tzinfo=UTC)), after=None, limit=PAGE),
}


@pytest.fixture(scope="module")
async def catalog(make_database) -> AsyncIterator[AsyncEngine]:
    url = await asyncio.to_thread(make_database)
    await asyncio.to_thread(migrations.upgrade, url)
    engine = make_engine(url)
    await generate(engine)
    yield engine
    await engine.dispose()


async def explain(engine: AsyncEngine, query: Select[Any]) -> dict[str, Any]:
    """The executed plan of `query` with its parameters bound, as the routes send it."""
    async with engine.connect() as connection:
        compiled = query.compile(dialect=connection.dialect)
        parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
        result = await connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), parameters)
        return result.scalar_one()[0]["Plan"]  # type: ignore[no-any-return]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(node: dict[str, Any]) -> int:
    loops = node["Actual Loops"]
    passed_over = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return int((node["Actual Rows"] + passed_over) * loops)


@pytest.mark.parametrize("case", CASES)
async def test_a_filtered_first_page_reads_by_index_in_proportion_to_the_page(catalog, case):
    plan = await explain(catalog, CASES[case])
    scans = [node for node in nodes(plan) if node.get("Relation Name") in ("models", "prices")]
    assert not [node for node in scans if node["Node Type"] == "Seq Scan"], plan
    assert sum(rows_read(node) for node in scans) <= MOST_ROWS_READ, plan


async def test_a_filtered_list_is_planned_for_its_values_not_from_a_generic_plan(session):
    # A prepared statement's generic plan would serve a rare word and text in every name alike.
    await lists.list_models(session, lists.ModelFilters(q="gpt"), after=None, limit=PAGE)
    assert await session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
