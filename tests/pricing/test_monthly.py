"""Calendar months in a time zone, and sessions spread over a month whose price changes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.pricing.charging import PriceGapError
from service.pricing.monthly import month_window, spread_over_window
from service.pricing.prices import TokenPrices
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.usage import Usage

FLASH = TokenPrices(Decimal("0.14"), Decimal("0.28"))
SESSION = Usage(input_tokens=50_000, output_tokens=20_000)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def flash_timeline() -> ModelTimeline:
    launch = PricePeriod(1, utc(2026, 4, 24), None, FLASH)
    promotion = Discount(1, "launch discount", Decimal(75), utc(2026, 4, 24), utc(2026, 5, 5))
    return ModelTimeline([launch], [promotion])


def test_month_window_in_utc_runs_from_the_first_to_the_first_of_next_month() -> None:
    assert month_window("2026-05", "UTC") == (utc(2026, 5, 1), utc(2026, 6, 1))


def test_month_window_of_december_ends_in_january_of_the_next_year() -> None:
    assert month_window("2026-12", "UTC") == (utc(2026, 12, 1), utc(2027, 1, 1))


def test_month_window_follows_local_midnight_in_summer_time() -> None:
    assert month_window("2026-05", "Europe/Paris") == (utc(2026, 4, 30, 22), utc(2026, 5, 31, 22))


def test_month_window_spanning_a_clock_change_has_different_offsets_at_each_end() -> None:
    start, end = month_window("2026-03", "America/New_York")
    assert (start, end) == (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))
    assert start.tzinfo is UTC and end.tzinfo is UTC


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-05", "2026-5", "2026/05", " 2026-05", "2026-05-01", ""])
def test_malformed_months_are_refused_with_a_clear_message(month: str) -> None:
    with pytest.raises(ValueError, match=r"^month must be"):
        month_window(month, "UTC")


@pytest.mark.parametrize("zone", ["Mars/Base", "../etc", "/etc/passwd", "", "America", "a" * 300, "utc"])
def test_unknown_or_odd_time_zones_are_refused_as_unknown(zone: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown IANA timezone "):
        month_window("2026-05", zone)


def test_unknown_time_zone_message_quotes_the_zone() -> None:
    with pytest.raises(ValueError) as caught:
        month_window("2026-05", "Mars/Base")
    assert str(caught.value) == "unknown IANA timezone 'Mars/Base'"


def test_may_2026_is_priced_four_days_at_the_launch_discount_and_27_at_list_price() -> None:
    start, end = month_window("2026-05", "UTC")
    result = spread_over_window(flash_timeline(), SESSION, Decimal(1000), Decimal(1), start, end)
    discounted, listed = result.periods
    assert (discounted.start, discounted.end, listed.start, listed.end) == (
        start,
        utc(2026, 5, 5),
        utc(2026, 5, 5),
        end,
    )
    assert discounted.estimate.cost.per_session == Decimal("0.00315")
    assert listed.estimate.cost.per_session == Decimal("0.0126")
    # 1000 x 4/31 sessions and 1000 x 27/31 sessions, each rounded half-even to 10 places.
    assert (discounted.sessions, listed.sessions) == (Decimal("129.0322580645"), Decimal("870.9677419355"))
    assert discounted.estimate.total == Decimal("0.4064516129")  # 12.6 / 31
    assert listed.estimate.total == Decimal("10.9741935484")  # 340.2 / 31
    assert result.total == Decimal("11.3806451613")
    assert result.sessions == 1000


def test_each_period_says_which_effective_price_it_used() -> None:
    start, end = month_window("2026-05", "UTC")
    discounted, listed = spread_over_window(flash_timeline(), SESSION, Decimal(1000), Decimal(1), start, end).periods
    assert discounted.price.effective.input_per_mtok == Decimal("0.035")
    assert [d.name for d in discounted.price.discounts] == ["launch discount"]
    assert listed.price.discounts == ()


def test_a_month_at_one_price_costs_exactly_sessions_times_per_session() -> None:
    start, end = month_window("2026-06", "UTC")
    result = spread_over_window(flash_timeline(), SESSION, Decimal(1000), Decimal("1.8"), start, end)
    assert len(result.periods) == 1
    assert result.total == Decimal("22.68")
    assert result.periods[0].sessions == 1000


def test_monthly_total_is_the_sum_of_its_rounded_periods() -> None:
    start, end = month_window("2026-05", "Asia/Kolkata")
    result = spread_over_window(flash_timeline(), SESSION, Decimal(777), Decimal("1.3"), start, end)
    assert result.total == sum(period.estimate.total for period in result.periods)


def test_a_month_with_a_stretch_without_price_raises_a_price_gap_error_naming_it() -> None:
    start, end = month_window("2026-04", "UTC")
    with pytest.raises(PriceGapError) as caught:
        spread_over_window(flash_timeline(), SESSION, Decimal(10), Decimal(1), start, end)
    assert (caught.value.start, caught.value.end) == (utc(2026, 4, 1), utc(2026, 4, 24))
    assert "no price applies from 2026-04-01T00:00:00+00:00 to 2026-04-24T00:00:00+00:00" in str(caught.value)


def test_warnings_of_several_periods_are_reported_once() -> None:
    timeline = ModelTimeline(
        [PricePeriod(1, utc(2026, 1, 1), utc(2026, 5, 10), FLASH), PricePeriod(2, utc(2026, 5, 10), None, FLASH)]
    )
    start, end = month_window("2026-05", "UTC")
    result = spread_over_window(timeline, Usage(10, 0, cached_input_tokens=10), Decimal(5), Decimal(1), start, end)
    assert len(result.periods) == 2
    assert result.warnings == (
        "cache_read_per_mtok is unknown for this price: 10 cached input tokens were charged at the input price",
    )


def test_spreading_refuses_a_bad_retry_factor_or_negative_sessions() -> None:
    start, end = month_window("2026-05", "UTC")
    with pytest.raises(ValueError, match="retry_factor"):
        spread_over_window(flash_timeline(), SESSION, Decimal(1), Decimal(11), start, end)
    with pytest.raises(ValueError, match="sessions must not be negative"):
        spread_over_window(flash_timeline(), SESSION, Decimal(-1), Decimal(1), start, end)
