"""Several models' estimates of the same usage side by side, as ratios over a baseline model."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from service.pricing.estimate import Estimate
from service.pricing.money import MONEY_CONTEXT, round_ratio


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One model's estimate; each ratio is this model over the baseline, None when the baseline costs 0."""

    model: str
    estimate: Estimate
    input_ratio: Decimal | None
    output_ratio: Decimal | None
    total_ratio: Decimal | None


def compare(baseline: str, estimates: Mapping[str, Estimate]) -> list[ComparisonRow]:
    """Rows for every model, cheapest total first (ties by model id), with ratios over `baseline`."""
    if baseline not in estimates:
        raise ValueError(f"baseline {baseline!r} is not among the compared models: {sorted(estimates)}")
    base = estimates[baseline]
    rows = [
        ComparisonRow(
            model=model,
            estimate=item,
            # Cache hits are input too: uncached input alone would flatter a model with a cache price.
            input_ratio=_ratio(_input_cost(item), _input_cost(base)),
            output_ratio=_ratio(item.cost.output, base.cost.output),
            total_ratio=_ratio(item.total, base.total),
        )
        for model, item in estimates.items()
    ]
    rows.sort(key=lambda row: (row.estimate.total, row.model))
    return rows


def _input_cost(item: Estimate) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return item.cost.input + item.cost.cached_input


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator.is_zero():
        return None
    with localcontext(MONEY_CONTEXT):
        return round_ratio(numerator / denominator)
