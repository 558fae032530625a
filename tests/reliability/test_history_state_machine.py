"""Random ordinary writes (POST prices), promotions (create, PATCH, DELETE) and corrections, each committed over HTTP
against the real service, and reads at random (`at`, `known_at`) checked against a plain write log of the test's own
(issue 18): what the catalog said at a record time is the log replayed up to it.

The log keeps, per write, the write's record time (read back from the database: writes happen at its now()) and
the whole state after it: price periods and promotions, in days from ANCHOR. Ordinary writes lie in the future (day
42 on), corrections start in the past (days 0-13) and may reach into the future. The model's rules are written out
plainly here: a new period closes the open one when it starts later, and anything overlapping is a 409; a
correction cuts its stretch out of what it replaces and lays in what it says.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.auth.keys import create_key
from service.db.engine import make_engine, make_sessionmaker
from service.snapshot.keeper import SnapshotKeeper
from tests.conftest import _state_for_the_test
from tests.factories import make_model, unique_slug

ANCHOR = datetime(2026, 11, 20, tzinfo=UTC)  # day 0, in the past; day 42 is 2027-01-01
FUTURE = 42
LAST = 60
TICK = timedelta(microseconds=1)
PRICES = st.sampled_from(["1", "2", "2.5", "4"])
PERCENTS = st.sampled_from(["10", "20", "50"])
future_days = st.integers(FUTURE, LAST)
lengths = st.one_of(st.none(), st.integers(1, 12))


class Period(NamedTuple):
    start: int
    end: int | None  # None: open-ended
    value: Decimal  # a price, or a promotion's percent off


class State(NamedTuple):
    prices: tuple[Period, ...] = ()
    promotions: tuple[Period, ...] = ()


def day(n: int) -> datetime:
    return ANCHOR + timedelta(days=n)


def iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def overlaps(a: Period, start: int, end: int | None) -> bool:
    return (a.end is None or a.end > start) and (end is None or a.start < end)


def covering(periods: tuple[Period, ...], instant: datetime) -> Period | None:
    return next((p for p in periods if day(p.start) <= instant and (p.end is None or instant < day(p.end))), None)


def cut(periods: tuple[Period, ...], start: int, end: int | None) -> tuple[Period, ...]:
    """The periods with the stretch [start, end) cut out: what a correction keeps of them."""
    kept: list[Period] = []
    for p in periods:
        if not overlaps(p, start, end):
            kept.append(p)
            continue
        if p.start < start:
            kept.append(Period(p.start, start, p.value))
        if end is not None and (p.end is None or p.end > end):
            kept.append(Period(end, p.end, p.value))
    return tuple(kept)


def expected_price(state: State, instant: datetime) -> Decimal | None:
    price = covering(state.prices, instant)
    if price is None:
        return None
    promotion = covering(state.promotions, instant)
    return price.value if promotion is None else price.value * (100 - promotion.value) / 100


class History(RuleBasedStateMachine):
    app: Litestar
    engine: AsyncEngine
    keeper: SnapshotKeeper
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def a_model_and_a_key(self) -> None:
        async def setup() -> tuple[str, str]:
            async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
                model = await make_model(session, unique_slug("sm"))
                _, secret = await create_key(session, "sm", ["catalog:write", "catalog:correct"])
            await self.keeper.refresh()
            return model.id, secret
        self.model_id, secret = self.run(setup())
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.log: list[tuple[datetime, State]] = []
        self.promotion_ids: dict[Period, int] = {}
        self.changed: set[int] = set()  # the days where the last write may have changed an answer

    @property
    def state(self) -> State:
        return self.log[-1][1] if self.log else State()

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t") as client:
                return await client.request(method, url, **kwargs)
        return self.run(send())  # type: ignore[no-any-return]

    def write(self, method: str, url: str, after: State | None, **kwargs: Any) -> httpx.Response:
        """Send a write; `after` is the state the model expects (None: a 409, nothing changes)."""
        response = self.call(method, url, headers=self.headers, **kwargs)
        if after is None:
            assert response.status_code == 409, (method, url, kwargs, response.text, self.state)
            return response
        assert response.status_code in (200, 201, 204), (method, url, kwargs, response.text, self.state)
        moved = (set(after.prices) ^ set(self.state.prices)) | (set(after.promotions) ^ set(self.state.promotions))
        self.changed = {n for p in moved for n in (p.start, p.end) if n is not None}
        self.log.append((self.run(self._last_write_time()), after))
        self.run(self.keeper.refresh())
        self._learn_promotion_ids(after)
        return response

    async def _last_write_time(self) -> datetime:
        # A write's record time is its transaction's now(): the latest recorded_at or superseded_at of the model.
        async with self.engine.connect() as connection:
            return await connection.scalar(text("""
                SELECT max(t) FROM (
                    SELECT greatest(recorded_at, superseded_at) AS t FROM prices WHERE model_id = :m
                    UNION ALL SELECT greatest(recorded_at, superseded_at) FROM promotions WHERE model_id = :m
                    UNION ALL SELECT recorded_at FROM corrections WHERE model_id = :m) AS times"""),
                {"m": self.model_id})

    def _learn_promotion_ids(self, after: State) -> None:
        listed = self.call("GET", "/v1/promotions", params={"model": self.model_id, "limit": 100}).json()["data"]
        seen = {Period(self._day(p["valid_from"]), self._day(p["valid_to"]), Decimal(p["percent_off"])): p["id"]
                for p in listed}
        assert set(seen) == set(after.promotions), (seen, after.promotions)
        self.promotion_ids = seen

    @staticmethod
    def _day(value: str | None) -> int | None:
        if value is None:
            return None
        delta = datetime.fromisoformat(value) - ANCHOR
        assert delta % timedelta(days=1) == timedelta(0)
        return delta.days

    @rule(start=future_days, length=lengths, price=PRICES)
    def post_a_price(self, start: int, length: int | None, price: str) -> None:
        end = None if length is None else start + length
        prices = list(self.state.prices)
        open_period = next((p for p in prices if p.end is None), None)
        if open_period is not None and open_period.start < start:
            prices[prices.index(open_period)] = open_period._replace(end=start)  # closed where the new one starts
        new = Period(start, end, Decimal(price))
        fits = not (open_period is not None and open_period.start == start) and not any(
            overlaps(p, start, end) for p in prices)
        after = self.state._replace(prices=(*prices, new)) if fits else None
        body = {"valid_from": iso(day(start)), "valid_to": iso(None if end is None else day(end)),
                "input_per_mtok": price, "output_per_mtok": price, "source": "sm"}
        self.write("POST", f"/v1/models/{self.model_id}/prices", after, json=body)

    @rule(start=future_days, length=lengths, percent=PERCENTS)
    def create_a_promotion(self, start: int, length: int | None, percent: str) -> None:
        end = None if length is None else start + length
        fits = not any(overlaps(p, start, end) for p in self.state.promotions)
        new = Period(start, end, Decimal(percent))
        after = self.state._replace(promotions=(*self.state.promotions, new)) if fits else None
        body = {"model": self.model_id, "name": "sm", "percent_off": percent, "valid_from": iso(day(start)),
                "valid_to": iso(None if end is None else day(end)), "source": "sm"}
        self.write("POST", "/v1/promotions", after, json=body)

    @precondition(lambda self: bool(self.promotion_ids))
    @rule(data=st.data(), percent=st.one_of(st.none(), PERCENTS), length=st.one_of(st.none(), lengths))
    def patch_a_promotion(self, data: st.DataObject, percent: str | None, length: int | None) -> None:
        old = data.draw(st.sampled_from(sorted(self.promotion_ids, key=lambda p: p.start)))
        changes: dict[str, Any] = {}
        if percent is not None:
            changes["percent_off"] = percent
        new = old._replace(value=Decimal(percent or old.value))
        if length is not None or percent is None:  # something always changes in the request
            end = None if length is None else old.start + length
            changes["valid_to"] = iso(None if end is None else day(end))
            new = new._replace(end=end)
        others = [p for p in self.state.promotions if p != old]
        fits = not any(overlaps(p, new.start, new.end) for p in others)
        after = self.state._replace(promotions=(*others, new)) if fits else None
        self.write("PATCH", f"/v1/promotions/{self.promotion_ids[old]}", after, json=changes)

    @precondition(lambda self: bool(self.promotion_ids))
    @rule(data=st.data())
    def delete_a_promotion(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(sorted(self.promotion_ids, key=lambda p: p.start)))
        after = self.state._replace(promotions=tuple(p for p in self.state.promotions if p != old))
        self.write("DELETE", f"/v1/promotions/{self.promotion_ids[old]}", after)

    @rule(start=st.integers(0, 13), length=st.one_of(st.none(), st.integers(1, 50)),
          price=st.one_of(st.none(), PRICES), what=st.sampled_from(["prices", "promotions", "both"]))
    def correct(self, start: int, length: int | None, price: str | None, what: str) -> None:
        end = None if length is None else start + length
        body: dict[str, Any] = {"reason": "sm", "valid_from": iso(day(start)),
                                "valid_to": iso(None if end is None else day(end))}
        prices, promotions = self.state.prices, self.state.promotions
        if what in ("prices", "both"):
            laid = [] if price is None else [Period(start, end, Decimal(price))]
            body["prices"] = [{"valid_from": iso(day(p.start)), "valid_to": iso(None if p.end is None else day(p.end)),
                               "input_per_mtok": price, "output_per_mtok": price, "source": "sm"} for p in laid]
            prices = (*cut(prices, start, end), *laid)
        if what in ("promotions", "both"):
            body["promotions"] = []
            promotions = cut(promotions, start, end)
        self.write("POST", f"/v1/models/{self.model_id}/corrections", State(prices, promotions), json=body)

    def said_at(self, known_at: datetime) -> State:
        said = State()
        for recorded, state in self.log:
            if recorded <= known_at:
                said = state
        return said

    def read(self, instant: datetime, known_at: datetime | None, estimate: bool = False) -> Decimal | None:
        params = {"at": instant.isoformat()} | ({} if known_at is None else {"known_at": known_at.isoformat()})
        if estimate:
            body = {"model": self.model_id, "input_tokens": 1_000_000, "output_tokens": 0, **params}
            response = self.call("POST", "/v1/estimate", json=body)
            field = ("cost", "total")
        else:
            response = self.call("GET", f"/v1/models/{self.model_id}/price", params=params)
            field = ("effective", "input_per_mtok")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return Decimal(response.json()[field[0]][field[1]])

    def check(self, instant: datetime, known_at: datetime | None, estimate: bool = False) -> None:
        expected = expected_price(self.state if known_at is None else self.said_at(known_at), instant)
        assert self.read(instant, known_at, estimate) == expected, (instant, known_at, estimate, self.log)

    @rule(at=st.integers(0, LAST + 2), before=st.booleans(), data=st.data(), estimate=st.booleans())
    def read_at_random(self, at: int, before: bool, data: st.DataObject, estimate: bool) -> None:
        """A read at a random instant (a day's start, or a microsecond before it) as known at a random record time:
        a write's, a microsecond before it, or now."""
        known = [None, *(t + offset for t, _ in self.log for offset in (-TICK, timedelta(0)))]
        self.check(day(at) - (TICK if before else timedelta(0)), data.draw(st.sampled_from(known)), estimate)

    @invariant()
    def the_last_write_is_read_right_at_its_boundaries(self) -> None:
        """At every instant the last write may have moved, and a microsecond before it: as known just before the
        write, at it, and now (the snapshot's estimate too)."""
        if not getattr(self, "log", None):
            return
        written = self.log[-1][0]
        for n in sorted(self.changed):
            for instant in (day(n) - TICK, day(n)):
                for known_at in (written - TICK, written):
                    self.check(instant, known_at)
                self.check(instant, None)
                self.check(instant, None, estimate=True)


def test_ordinary_writes_promotions_and_corrections_over_http_replay_the_write_log(
    app, committed_database_url,
):
    loop = asyncio.new_event_loop()
    History.loop = loop
    History.app = app
    History.engine = make_engine(committed_database_url, pool_size=3)
    History.keeper = SnapshotKeeper(committed_database_url, make_sessionmaker(History.engine))
    try:
        loop.run_until_complete(History.keeper.reload())
        with _state_for_the_test(app, engine=History.engine, snapshot_keeper=History.keeper,
                                 sessionmaker=make_sessionmaker(History.engine)):
            run_state_machine_as_test(
                History, settings=settings(max_examples=25, stateful_step_count=8, deadline=None))
    finally:
        loop.run_until_complete(History.engine.dispose())
        loop.close()
