"""Random sequences of price and promotion writes, checked against a plain in-memory model of the rules.

Day NOW_DAY is the transaction's now() exactly, so the days before it are the past that ordinary writes may not
change (docs/security.md, History) and the machine probes that boundary to the microsecond."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError
from service.catalog import price_queries, schemas
from service.db.engine import make_engine
from tests.factories import make_model

NOW_DAY = 30
days = st.integers(0, 60)
prices = st.sampled_from(["0.1", "0.25", "1", "2.5", "8"])


class PriceHistory(RuleBasedStateMachine):
    """The model: a list of (start, end, price) periods and (start, end, percent) promotions."""

    engine = None  # set by the test
    loop: asyncio.AbstractEventLoop

    @initialize()
    def open_transaction(self) -> None:
        self.periods: list[list] = []
        self.promos: list[tuple[int, int | None, Decimal]] = []
        self.connection = self.run(self.engine.connect())
        self.transaction = self.run(self.connection.begin())
        self.session = AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint")
        self.model_id = self.run(make_model(self.session)).id
        self.base = self.run(self.session.scalar(select(func.now()))) - timedelta(days=NOW_DAY)

    def at(self, day: int) -> datetime:
        return self.base + timedelta(days=day)

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        if hasattr(self, "transaction"):
            self.run(self.session.close())
            self.run(self.transaction.rollback())
            self.run(self.connection.close())

    def _write(self, coroutine_factory) -> bool:
        async def attempt() -> bool:
            try:
                async with self.session.begin_nested():
                    await coroutine_factory()
                return True
            except ProblemError:
                return False
            except Exception as exc:  # IntegrityError from the exclusion constraint is a refusal too
                if "IntegrityError" in type(exc).__name__:
                    return False
                raise
        return self.run(attempt())

    @rule(start=days, length=st.one_of(st.none(), st.integers(1, 30)), price=prices)
    def add_price(self, start: int, length: int | None, price: str) -> None:
        end = None if length is None else start + length
        data = schemas.PricePeriodCreate(valid_from=self.at(start), valid_to=None if end is None else self.at(end),
                                         input_per_mtok=Decimal(price), output_per_mtok=Decimal(price), source="sm")
        expected = self._model_accepts(start, end)
        accepted = self._write(lambda: price_queries.add_price(self.session, self.model_id, data))
        assert accepted == expected, (start, end, self.periods)
        if accepted:
            for period in self.periods:
                if period[1] is None and period[0] < start:
                    period[1] = start
            self.periods.append([start, end, Decimal(price)])

    def _model_accepts(self, start: int, end: int | None) -> bool:
        """The rules: a start inside the open period closes it, at now or later; any other overlap is refused."""
        for p_start, p_end, _ in self.periods:
            if p_end is None and p_start < start:
                if start < NOW_DAY:
                    return False  # closing it in the past would change the past
                continue  # will be closed at `start`
            if (end is None or p_start < end) and (p_end is None or start < p_end):
                return False
        return True

    @rule(start=days, length=st.one_of(st.none(), st.integers(1, 20)), percent=st.sampled_from(["10", "50", "75"]))
    def add_promotion(self, start: int, length: int | None, percent: str) -> None:
        end = None if length is None else start + length
        data = schemas.PromotionCreate(name="p", model=self.model_id, percent_off=Decimal(percent),
                                       valid_from=self.at(start), valid_to=None if end is None else self.at(end),
                                       source="sm")
        overlaps = any((end is None or s < end) and (e is None or start < e) for s, e, _ in self.promos)
        past_end = NOW_DAY if end is None else min(end, NOW_DAY)  # its part before now may only lie where no price is
        over_the_priced_past = start < NOW_DAY and any(
            s < past_end and (e is None or start < e) for s, e, _ in self.periods)
        accepted = self._write(lambda: price_queries.create_promotion(self.session, data))
        assert accepted == (not overlaps and not over_the_priced_past), (start, end, self.periods, self.promos)
        if accepted:
            self.promos.append((start, end, Decimal(percent)))

    @invariant()
    def effective_prices_match_the_model(self) -> None:
        if not hasattr(self, "session"):
            return
        for day in range(0, 95, 7):
            expected = next((p for s, e, p in self.periods if s <= day and (e is None or day < e)), None)
            if expected is not None:
                for s, e, percent in self.promos:
                    if s <= day and (e is None or day < e):
                        expected = expected * (100 - percent) / 100
            try:
                found = self.run(price_queries.effective_price(self.session, self.model_id, self.at(day)))
                actual = found.price.effective.input_per_mtok
            except ProblemError:
                actual = None
            assert actual == expected, (day, actual, expected, self.periods, self.promos)


def test_random_price_and_promotion_writes_agree_with_the_model(database_url, engine):
    # The machine drives an event loop of its own, so it gets an engine (and pool) of its own on that loop.
    loop = asyncio.new_event_loop()
    PriceHistory.loop = loop
    PriceHistory.engine = make_engine(database_url, pool_size=2)
    try:
        run_state_machine_as_test(
            PriceHistory, settings=settings(max_examples=25, stateful_step_count=12, deadline=None))
    finally:
        loop.run_until_complete(PriceHistory.engine.dispose())
        loop.close()
