"""Loading the default catalog: thousands of priced offerings into an empty database, the seed's six models exact,
nothing again for the same file, and a changed file as new offerings and new periods, never rewritten history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import msgspec
import pytest
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.catalog.default.document import (
    DefaultCatalog,
    OfferingDoc,
    PriceDoc,
    PromotionDoc,
    decode,
    encode,
    packaged_bytes,
)
from service.catalog.default.load import load_default_catalog
from service.catalog.seed import seed_document
from service.db import migrations
from service.db.engine import make_engine
from service.db.models import AliasRow, CatalogLoadRow, ModelRow, PriceRow, PromotionRow
from service.pricing.money import format_decimal
from service.snapshot.catalog_snapshot import load_snapshot

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def default_database_url(make_database: Callable[[], str]) -> str:
    url = make_database()
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="module")
async def default_engine(default_database_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of its own, migrated and then loaded with the packaged default catalog, committed."""
    engine = make_engine(default_database_url)
    async with AsyncSession(engine) as session, session.begin():
        outcome = await load_default_catalog(session)
    assert outcome.loaded and not outcome.refused
    yield engine
    await engine.dispose()


@pytest.fixture
async def default_session(default_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on the loaded database whose writes are rolled back after the test."""
    async with default_engine.connect() as connection:
        transaction = await connection.begin()
        async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        await transaction.rollback()


async def _priced_offerings(session: AsyncSession) -> list[tuple[str, str]]:
    priced = select(PriceRow.model_id).where(PriceRow.valid_from <= NOW,
                                             or_(PriceRow.valid_to.is_(None), PriceRow.valid_to > NOW))
    rows = await session.execute(select(ModelRow.id, ModelRow.provider_id).where(ModelRow.id.in_(priced)))
    return [(row.id, row.provider_id) for row in rows]


async def test_a_fresh_database_serves_at_least_2000_priced_offerings(default_session):
    priced = await _priced_offerings(default_session)
    assert len(priced) >= 2000
    assert len(priced) == len(decode(packaged_bytes()).offerings)  # every offering of the file is priced now


async def test_resellers_and_clouds_sell_beside_the_makers(default_session):
    priced = {model_id for model_id, _ in await _priced_offerings(default_session)}
    for seller in ("together", "bedrock", "fireworks", "azure", "openrouter", "vertex"):
        assert sum(1 for model_id in priced if model_id.startswith(f"{seller}/")) >= 10, seller
    for maker in ("openai", "anthropic", "deepseek", "mistral"):
        assert await default_session.scalar(select(func.count()).where(
            ModelRow.provider_id == maker, ModelRow.id == ModelRow.model)) >= 3, maker
    # One model, several sellers: the maker's bare offering and others' `provider/model` beside it.
    shared = (await default_session.execute(
        select(ModelRow.model).group_by(ModelRow.model)
        .having(func.bool_or(ModelRow.id == ModelRow.model), func.count() >= 3))).scalars().all()
    assert len(shared) >= 50
    assert {"deepseek-v4-flash", "fireworks/deepseek-v4-flash", "gpt-4o", "azure/gpt-4o",
            "bedrock/claude-sonnet-4-6"} <= priced


async def test_the_seed_models_are_exactly_the_seed(default_session, session):
    """The same rows as `load_seed_if_empty` writes (the suite's own database holds them), field for field."""
    seed_ids = [model["id"] for model in seed_document()["models"]]

    async def rows(on: AsyncSession) -> tuple[list, list, list]:
        models = (await on.execute(select(ModelRow.id, ModelRow.provider_id, ModelRow.name, ModelRow.open_weights,
                                          ModelRow.context_window, ModelRow.released_on)
                                   .where(ModelRow.id.in_(seed_ids)).order_by(ModelRow.id))).all()
        prices = (await on.execute(select(
            PriceRow.model_id, PriceRow.valid_from, PriceRow.valid_to, PriceRow.currency, PriceRow.input_per_mtok,
            PriceRow.output_per_mtok, PriceRow.cache_read_per_mtok, PriceRow.cache_write_per_mtok, PriceRow.source,
            PriceRow.rules).where(PriceRow.model_id.in_(seed_ids)).order_by(PriceRow.model_id, PriceRow.valid_from)
        )).all()
        promotions = (await on.execute(select(
            PromotionRow.model_id, PromotionRow.name, PromotionRow.percent_off, PromotionRow.valid_from,
            PromotionRow.valid_to, PromotionRow.source).where(PromotionRow.model_id.in_(seed_ids))
            .order_by(PromotionRow.model_id, PromotionRow.valid_from))).all()
        return models, prices, promotions

    default, seeded = await rows(default_session), await rows(session)
    assert default == seeded
    models, prices, promotions = default
    assert len(models) == len(prices) == 6
    assert [(p.model_id, str(p.percent_off)) for p in promotions] == [("deepseek-v4-flash", "75.0000")]


async def test_the_makers_spelling_of_a_seed_model_resolves_to_the_seeds_offering(default_session):
    aliases = set((await default_session.execute(select(AliasRow.alias, AliasRow.model_id))).all())
    catalog = decode(packaged_bytes())
    folded = {(alias, o.id) for o in catalog.offerings for alias in o.aliases}
    ids = {o.id for o in catalog.offerings}
    # A key that is an offering's own id (LiteLLM's `gemini-2.5-flash` for Vertex) is no alias: the id wins.
    keys = {(key.key, o.id) for o in catalog.offerings for key in o.keys if key.key not in ids}
    assert {("claude-sonnet-4-6", "claude-sonnet-4.6"), ("claude-opus-4-7", "claude-opus-4.7")} <= folded
    assert folded | keys == aliases
    snapshot = await load_snapshot(default_session)
    # Without the alias, the bare name would be a 409 listing only the resellers' offerings of the model.
    assert snapshot.resolve("claude-sonnet-4-6", datetime(2026, 5, 10, tzinfo=UTC)) == "claude-sonnet-4.6"


async def test_each_sources_key_is_an_alias_that_estimates_and_the_litellm_feed_use(default_session):
    from service.feeds.litellm import litellm_key

    snapshot = await load_snapshot(default_session)
    key, at = "anthropic.claude-3-5-sonnet-20240620-v1:0", datetime(2026, 12, 4, 12, tzinfo=UTC)
    offering = snapshot.resolve(key, at)
    assert offering == "bedrock/claude-3-5-sonnet-20240620"
    # Whichever source won the offering, LiteLLM's own key for it comes back in the LiteLLM feed.
    assert litellm_key(snapshot, offering, at) == (key, "bedrock")


async def test_a_second_load_of_the_same_file_loads_nothing(default_session):
    count = await default_session.scalar(select(func.count()).select_from(PriceRow))
    outcome = await load_default_catalog(default_session)
    assert (outcome.loaded, outcome.offerings_added, outcome.prices_added) == (False, 0, 0)
    assert await default_session.scalar(select(func.count()).select_from(PriceRow)) == count
    assert await default_session.scalar(select(func.count()).select_from(CatalogLoadRow)) == 1


def _imported_offering(catalog: DefaultCatalog) -> OfferingDoc:
    return next(o for o in catalog.offerings if o.prices[0].source.startswith("litellm") and len(o.prices) == 1)


async def _history(session: AsyncSession, model_id: str) -> list[tuple[datetime, datetime | None, str]]:
    rows = await session.execute(select(PriceRow.valid_from, PriceRow.valid_to, PriceRow.input_per_mtok)
                                 .where(PriceRow.model_id == model_id, PriceRow.superseded_at.is_(None))
                                 .order_by(PriceRow.valid_from))
    return [(row.valid_from, row.valid_to, format_decimal(row.input_per_mtok)) for row in rows]


async def test_a_changed_file_adds_offerings_scheduled_prices_and_promotions_and_keeps_history(default_session):
    catalog = decode(packaged_bytes())
    later = datetime(2027, 2, 1, tzinfo=UTC)
    changed = _imported_offering(catalog)
    old = changed.prices[0]
    changed.prices = [msgspec.structs.replace(old, valid_to=later),
                      msgspec.structs.replace(old, valid_from=later, input_per_mtok="123.5")]
    catalog.offerings.append(OfferingDoc(id="test-new-model", provider="openai", name="New", prices=[
        PriceDoc(valid_from=catalog.as_of, input_per_mtok="1", output_per_mtok="2", source="test file")]))
    pro = next(o for o in catalog.offerings if o.id == "deepseek-v4-pro")
    pro.promotions = [PromotionDoc(name="spring", percent_off="10", valid_from=datetime(2027, 4, 1, tzinfo=UTC),
                                   source="test file"),
                      PromotionDoc(name="past", percent_off="10", valid_from=datetime(2026, 6, 1, tzinfo=UTC),
                                   valid_to=datetime(2026, 7, 1, tzinfo=UTC), source="test file")]
    outcome = await load_default_catalog(default_session, encode(catalog))
    assert (outcome.loaded, outcome.offerings_added, outcome.prices_added, outcome.refused) == (True, 1, 2, [])
    assert await _history(default_session, changed.id) == [
        (old.valid_from, later, old.input_per_mtok), (later, None, "123.5")]  # the old period was only closed
    promotions = await default_session.scalars(select(PromotionRow.name).where(
        PromotionRow.model_id == "deepseek-v4-pro"))
    assert list(promotions) == ["spring"]  # a past discount would change what the past was answered
    assert not (await load_default_catalog(default_session, encode(catalog))).loaded


async def test_a_price_the_file_dates_in_the_past_changes_from_the_moment_of_the_load(default_session):
    catalog = decode(packaged_bytes())
    changed = _imported_offering(catalog)
    old = changed.prices[0]
    changed.prices = [msgspec.structs.replace(old, input_per_mtok="77")]  # a better parser, the same as_of
    loaded_at = datetime(2027, 3, 1, tzinfo=UTC)
    outcome = await load_default_catalog(default_session, encode(catalog), now=loaded_at)
    assert (outcome.prices_added, outcome.refused) == (1, [])
    assert await _history(default_session, changed.id) == [
        (old.valid_from, loaded_at, old.input_per_mtok), (loaded_at, None, "77")]


async def test_a_database_that_holds_the_seed_gets_the_rest_and_its_seed_rows_stay_as_they_are(session):
    seed_prices = await session.scalar(select(func.count()).select_from(PriceRow))
    catalog = decode(packaged_bytes())
    outcome = await load_default_catalog(session)
    assert outcome.offerings_added == len(catalog.offerings) - 6
    ids = {offering.id for offering in catalog.offerings}
    names = {(name, o.id) for o in catalog.offerings for name in [*o.aliases, *(k.key for k in o.keys)]
             if name not in ids}
    assert outcome.unchanged == 6 and outcome.refused == [] and outcome.aliases_added == len(names)
    assert await session.scalar(select(func.count()).select_from(PromotionRow).where(
        PromotionRow.model_id == "deepseek-v4-flash")) == 1
    added = sum(len(o.prices) for o in catalog.offerings) - 6
    assert await session.scalar(select(func.count()).select_from(PriceRow)) == seed_prices + added
