"""Effective prices over time: half-open periods, discounts on top, stretches of constant price."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.pricing.prices import TokenPrices
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod, Stretch

LIST = TokenPrices(Decimal("0.14"), Decimal("0.28"))
RAISED = TokenPrices(Decimal("0.2"), Decimal("0.4"))


def day(month: int, number: int) -> datetime:
    return datetime(2026, month, number, tzinfo=UTC)


LAUNCH = PricePeriod(1, day(4, 24), None, LIST)
PROMO = Discount(7, "launch", Decimal(75), day(4, 24), day(5, 5))


def test_price_at_applies_a_discount_only_while_it_is_valid() -> None:
    timeline = ModelTimeline([LAUNCH], [PROMO])
    during = timeline.price_at(day(4, 30))
    assert during is not None
    assert during.effective.input_per_mtok == Decimal("0.035")
    assert (during.period, during.discounts) == (LAUNCH, (PROMO,))
    after = timeline.price_at(day(5, 5))
    assert after is not None
    assert (after.effective, after.discounts) == (LIST, ())


def test_price_at_is_none_before_the_first_period() -> None:
    assert ModelTimeline([LAUNCH], [PROMO]).price_at(day(4, 23)) is None


def test_periods_are_half_open_so_the_new_price_applies_at_the_boundary() -> None:
    old = PricePeriod(1, day(1, 1), day(3, 1), LIST)
    new = PricePeriod(2, day(3, 1), None, RAISED)
    timeline = ModelTimeline([new, old])
    just_before = timeline.price_at(day(3, 1) - timedelta(microseconds=1))
    at_boundary = timeline.price_at(day(3, 1))
    assert just_before is not None and just_before.period == old
    assert at_boundary is not None and at_boundary.period == new


def test_price_at_is_none_in_a_gap_and_after_a_closed_period() -> None:
    timeline = ModelTimeline([PricePeriod(1, day(1, 1), day(2, 1), LIST), PricePeriod(2, day(3, 1), day(4, 1), LIST)])
    assert timeline.price_at(day(2, 15)) is None
    assert timeline.price_at(day(4, 1)) is None


def test_a_discount_without_a_price_period_gives_no_price() -> None:
    timeline = ModelTimeline(
        [PricePeriod(1, day(5, 1), None, LIST)], [Discount(1, "early", Decimal(10), day(4, 1), None)]
    )
    assert timeline.price_at(day(4, 15)) is None
    price = timeline.price_at(day(5, 2))
    assert price is not None and price.effective.input_per_mtok == Decimal("0.126")


def test_overlapping_discounts_stack() -> None:
    first = Discount(1, "a", Decimal(50), day(1, 1), day(1, 10))
    second = Discount(2, "b", Decimal(50), day(1, 5), None)
    price = ModelTimeline([PricePeriod(1, day(1, 1), None, LIST)], [second, first]).price_at(day(1, 7))
    assert price is not None
    assert price.discounts == (first, second)
    assert price.effective.input_per_mtok == Decimal("0.035")


def test_price_at_compares_instants_across_time_zones() -> None:
    paris_midnight = datetime(2026, 5, 5, 1, 59, tzinfo=timezone(timedelta(hours=2)))  # 23:59 UTC on May 4
    price = ModelTimeline([LAUNCH], [PROMO]).price_at(paris_midnight)
    assert price is not None and price.discounts == (PROMO,)


def test_overlapping_price_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="price periods 1 and 2 overlap"):
        ModelTimeline([PricePeriod(1, day(1, 1), day(2, 1), LIST), PricePeriod(2, day(1, 15), None, LIST)])
    with pytest.raises(ValueError, match="price periods 1 and 2 overlap"):
        ModelTimeline([PricePeriod(1, day(1, 1), None, LIST), PricePeriod(2, day(3, 1), None, LIST)])


def test_empty_or_reversed_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="price period 3: valid_to must be after valid_from"):
        PricePeriod(3, day(2, 1), day(2, 1), LIST)
    with pytest.raises(ValueError, match="discount 4: valid_to must be after valid_from"):
        Discount(4, "x", Decimal(5), day(2, 1), day(1, 1))


@pytest.mark.parametrize("percent", [Decimal(0), Decimal(101), Decimal("NaN")])
def test_discounts_outside_zero_to_a_hundred_percent_are_refused(percent: Decimal) -> None:
    with pytest.raises(ValueError, match="percent_off must be more than 0 and at most 100"):
        Discount(1, "x", percent, day(1, 1), None)


def test_naive_datetimes_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="valid_from must be timezone-aware"):
        PricePeriod(1, datetime(2026, 1, 1), None, LIST)
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        ModelTimeline([LAUNCH]).price_at(datetime(2026, 5, 1))


def test_stretches_split_a_window_at_every_change_of_price() -> None:
    timeline = ModelTimeline([LAUNCH], [PROMO])
    stretches = timeline.stretches(day(4, 1), day(6, 1))
    assert [(s.start, s.end) for s in stretches] == [
        (day(4, 1), day(4, 24)),
        (day(4, 24), day(5, 5)),
        (day(5, 5), day(6, 1)),
    ]
    assert stretches[0].price is None
    assert [s.price.discounts for s in stretches[1:] if s.price] == [(PROMO,), ()]


def test_a_window_inside_one_stretch_is_one_stretch() -> None:
    timeline = ModelTimeline([LAUNCH], [PROMO])
    assert timeline.stretches(day(5, 10), day(5, 20)) == [
        Stretch(day(5, 10), day(5, 20), timeline.price_at(day(5, 10)))
    ]


def test_a_window_before_any_price_is_one_stretch_without_price() -> None:
    assert ModelTimeline([LAUNCH]).stretches(day(1, 1), day(2, 1)) == [Stretch(day(1, 1), day(2, 1), None)]


def test_an_empty_timeline_has_no_price_anywhere() -> None:
    timeline = ModelTimeline([])
    assert timeline.price_at(day(1, 1)) is None
    assert timeline.stretches(day(1, 1), day(2, 1)) == [Stretch(day(1, 1), day(2, 1), None)]


def test_stretches_merge_boundaries_where_nothing_changes() -> None:
    # The discount starts and ends in a gap: its boundaries change nothing there.
    period = PricePeriod(1, day(3, 1), None, LIST)
    timeline = ModelTimeline([period], [Discount(1, "gone", Decimal(10), day(1, 5), day(1, 20))])
    stretches = timeline.stretches(day(1, 1), day(4, 1))
    assert [(s.start, s.end, s.price is None) for s in stretches] == [
        (day(1, 1), day(3, 1), True),
        (day(3, 1), day(4, 1), False),
    ]


def test_a_new_period_with_identical_prices_still_starts_a_new_stretch() -> None:
    first, second = PricePeriod(1, day(1, 1), day(2, 1), LIST), PricePeriod(2, day(2, 1), None, LIST)
    stretches = ModelTimeline([first, second]).stretches(day(1, 10), day(2, 10))
    assert [s.price.period.id for s in stretches if s.price] == [1, 2]


def test_stretches_need_an_end_after_the_start() -> None:
    with pytest.raises(ValueError, match="must be after start"):
        ModelTimeline([LAUNCH]).stretches(day(5, 1), day(5, 1))
