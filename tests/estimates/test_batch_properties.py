"""Properties of the batch endpoint's logic: its total is the sum of the single estimates it contains."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from service.estimates import schemas
from service.estimates.batch import estimate_batch
from service.estimates.compute import estimate_one
from service.pricing.money import MONEY_CONTEXT
from service.pricing.prices import TokenPrices
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

START = datetime(2026, 4, 24, tzinfo=UTC)
SNAPSHOT = CatalogSnapshot(
    models={m: ModelInfo(m, "p", m, None) for m in ("flash", "opus")},
    timelines={
        "flash": ModelTimeline(
            [PricePeriod(1, START, None, TokenPrices(Decimal("0.14"), Decimal("0.28"), Decimal("0.0028")))],
            [Discount(1, "launch", Decimal(75), START, datetime(2026, 5, 5, tzinfo=UTC))],
        ),
        "opus": ModelTimeline([PricePeriod(2, START, None, TokenPrices(Decimal(5), Decimal(25)))]),
    },
    loaded_at=START,
)

items = st.fixed_dictionaries({
    "model": st.sampled_from(["flash", "opus", "unknown"]),
    "input_tokens": st.integers(0, 10**9),
    "output_tokens": st.integers(0, 10**9),
    "sessions": st.integers(0, 10**6),
    "retry_factor": st.decimals(1, 10, places=2).map(str),
    "at": st.sampled_from(["2026-04-30", "2026-05-10T12:00:00Z", "2026-01-01"]),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(items, max_size=20))
def test_a_batch_total_is_the_sum_of_the_single_estimates_of_its_good_items(batch):
    result, _ = estimate_batch(SNAPSHOT, batch)
    singles = []
    for item in batch:
        if item["model"] == "unknown" or (item["model"] == "opus" and item["at"] == "2026-01-01") or (
            item["model"] == "flash" and item["at"] == "2026-01-01"
        ):
            continue
        singles.append(Decimal(estimate_one(SNAPSHOT, schemas.EstimateRequest(**{
            **item, "retry_factor": Decimal(item["retry_factor"])}))[0].cost.total))
    with localcontext(MONEY_CONTEXT):  # sums of large exact costs need more than the default 28 digits
        assert Decimal(result.total) == sum(singles, Decimal(0))
    assert result.succeeded == len(singles) and result.failed == len(batch) - len(singles)
