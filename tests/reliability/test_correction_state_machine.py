"""Random corrections of one model's prices, each committed, and reads at random (`at`, `known_at`), checked against
a plain write log: the answer as known at a record time is the log replayed up to it (issue 18)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import ProblemError
from service.catalog import corrections, price_queries, schemas
from service.catalog.correction_schemas import CorrectionCreate
from service.db.engine import make_engine
from tests.factories import make_model, make_price

BASE = datetime(2026, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)
days = st.integers(0, 40)
prices = st.one_of(st.none(), st.sampled_from(["0.1", "0.25", "1", "2.5"]))
# (start day, end day or None, price): one stretch of valid time as the catalog says it
Period = tuple[int, int | None, Decimal]


def at(day: int) -> datetime:
    return BASE + timedelta(days=day)


def replaced(periods: list[Period], start: int, end: int | None, price: Decimal | None) -> list[Period]:
    """The log's own rule for a correction: the stretch [start, end) is cut out of every period, then filled."""
    kept: list[Period] = []
    for p_start, p_end, p_price in periods:
        if p_start < start:
            kept.append((p_start, start if p_end is None else min(p_end, start), p_price))
        if end is not None and (p_end is None or p_end > end):
            kept.append((max(p_start, end), p_end, p_price))
    kept = [(s, e, p) for s, e, p in kept if e is None or s < e]
    return [*kept, (start, end, price)] if price is not None else kept


class CorrectedHistory(RuleBasedStateMachine):
    engine = None  # set by the test
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    async def _committed(self, write):
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            return await write(session)

    @initialize()
    def a_model_priced_from_day_0(self) -> None:
        async def write(session: AsyncSession) -> datetime:
            model = await make_model(session)
            self.model_id = model.id
            return (await make_price(session, model.id, at(0), input_per_mtok="1")).recorded_at
        recorded = self.run(self._committed(write))
        # The write log: each record time with what the catalog said from then on.
        self.log: list[tuple[datetime, list[Period]]] = [(recorded, [(0, None, Decimal(1))])]

    @rule(start=days, length=st.one_of(st.none(), st.integers(1, 15)), price=prices)
    def correct(self, start: int, length: int | None, price: str | None) -> None:
        end = None if length is None else start + length
        periods = [] if price is None else [schemas.PricePeriodCreate(
            valid_from=at(start), valid_to=None if end is None else at(end), input_per_mtok=Decimal(price),
            output_per_mtok=Decimal(price), source="sm")]
        data = CorrectionCreate(reason="sm", valid_from=at(start), valid_to=None if end is None else at(end),
                                prices=periods)

        async def write(session: AsyncSession) -> datetime:
            return (await corrections.correct(session, self.model_id, data, None)).correction.recorded_at
        recorded = self.run(self._committed(write))
        before = self.log[-1][1]
        self.log.append((recorded, replaced(before, start, end, None if price is None else Decimal(price))))

    def _said_at(self, known_at: datetime) -> list[Period] | None:
        said = None
        for recorded, periods in self.log:
            if recorded <= known_at:
                said = periods
        return said

    @invariant()
    def every_read_as_known_then_agrees_with_the_log(self) -> None:
        if not hasattr(self, "log"):
            return
        instants = [t + offset for t, _ in self.log for offset in (-TICK, timedelta(0))]
        for known_at in instants:
            said = self._said_at(known_at) or []
            for day in range(0, 56, 3):
                expected = next((p for s, e, p in said if s <= day and (e is None or day < e)), None)
                assert self._read(day, known_at) == expected, (day, known_at, said, self.log)

    def _read(self, day: int, known_at: datetime) -> Decimal | None:
        async def read(session: AsyncSession) -> Decimal | None:
            try:
                found = await price_queries.effective_price(session, self.model_id, at(day), known_at)
            except ProblemError:
                return None
            return found.price.effective.input_per_mtok
        return self.run(self._committed(read))


def test_reads_as_known_at_any_record_time_replay_the_write_log(committed_database_url, committed_engine):
    loop = asyncio.new_event_loop()
    CorrectedHistory.loop = loop
    CorrectedHistory.engine = make_engine(committed_database_url, pool_size=2)
    try:
        run_state_machine_as_test(
            CorrectedHistory, settings=settings(max_examples=12, stateful_step_count=6, deadline=None))
    finally:
        loop.run_until_complete(CorrectedHistory.engine.dispose())
        loop.close()
