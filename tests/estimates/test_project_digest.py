"""A project estimate over many offerings gives the same bytes as it did before its work was made faster.

The digests were taken from the answers of the code before the speed-ups of issue 19 (commit 8fd4859); any change
to a digit, a field or an order of the answer changes them. The offerings are synthetic and varied: flat prices,
cached-input prices, a context tier on every third, several providers and retry families.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from service.catalog.assumption_seed import assumption_document
from service.estimates import project_schemas as wire
from service.estimates.project import estimate_project
from service.estimates.project_assumptions import assumptions_in_force
from service.pricing.prices import TokenPrices
from service.pricing.rules import ContextTier, PriceRules, TimeWindow
from service.pricing.timeline import Discount, ModelTimeline, PricePeriod
from service.pricing.windows import DailyWindow
from service.snapshot.assumption_history import AssumptionHistory, AssumptionRecord
from service.snapshot.catalog_snapshot import CatalogSnapshot, ModelInfo

AT = datetime(2026, 5, 10, tzinfo=UTC)
NAMES = ("deepseek-v4-flash", "gpt-5.5", "claude-opus-4.7", "bench")


def _snapshot(count: int) -> CatalogSnapshot:
    models, timelines = {}, {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(count):
        # The first few are the seed's retry keys themselves (one a reseller's offering), the rest their families.
        name = NAMES[number % len(NAMES)] if number < 2 * len(NAMES) else f"{NAMES[number % len(NAMES)]}-{number:04d}"
        model = name if number % 4 or number == 0 else f"p{number % 7}/{name}"
        cached = Decimal(number % 13) / 100 if number % 2 else None
        prices = TokenPrices(Decimal(number % 97 + 1) / 10, Decimal(number % 89 + 2) / 5, cached)
        tiers = (ContextTier(60_000, TokenPrices(prices.input_per_mtok * 2, prices.output_per_mtok * 2)),)
        rules = PriceRules(tiers=tiers) if number % 3 == 0 else PriceRules()
        models[model] = ModelInfo(model, model.partition("/")[0] if "/" in model else "bench", model, None)
        timelines[model] = ModelTimeline([PricePeriod(number + 1, start, None, prices, rules)], [])
    doc = assumption_document()
    history = AssumptionHistory(AssumptionRecord(
        id=number, kind=item["figures"]["kind"], key=item["key"], version=1, figures=item["figures"],
        assumed=item["assumed"], source=item["source"], valid_from=start, valid_to=None, recorded_at=start)
        for number, item in enumerate(doc["assumptions"], start=1))
    return CatalogSnapshot(models=models, timelines=timelines, loaded_at=start, assumptions=history)


SNAPSHOT = _snapshot(400)
CASES = {
    ("chat", "medium", True): "610ff5b2383aa8b1cda3e9087b87aaff582040940514f69a94aa2f021065f1c5",
    ("chat", "large", False): "32122c08ab91d1962057fd5d9c3613106daded73769b6e146ffbda7f315fed21",
    ("ide-assistant", "small", True): "41d37d0a40b769ad4bf61a51d7e1d1be00b4bde39d5b005ee4b9b63a3629f9ff",
    ("autonomous-agent", "medium", True): "f5a05efe553e680d3c7dcf97d07959058e1f05399a206ee3c26cdce6f0c0c6aa",
    ("autonomous-agent", "large", False): "f63eff413f434eabdace560bb08c8c3fd6513b1d0b255a8dfaeb296ec604a628",
}


@pytest.mark.parametrize(("tooling", "size", "breakdown"), list(CASES))
def test_an_answer_over_hundreds_of_offerings_keeps_its_bytes(tooling, size, breakdown):
    body = _answer(SNAPSHOT, {"size": size, "features": 37, "tooling": tooling}, breakdown, "p4/deepseek-v4-flash")
    assert hashlib.sha256(body).hexdigest() == CASES[(tooling, size, breakdown)]
    assert _as_the_structs_encode(body) == body


def _answer(snapshot: CatalogSnapshot, project: dict, breakdown: bool, draft: str) -> bytes:
    """Every offering of `snapshot`, with a hybrid drafted on `draft` and the self-host profile, encoded."""
    request = msgspec.convert({
        "project": project, "all_models": True, "breakdown": breakdown,
        "strategies": [{"kind": "hybrid", "draft": draft, "review": "claude-opus-4.7"},
                       {"kind": "self-host", "profile": "a100-node"}]}, wire.ProjectEstimateRequest)
    return msgspec.json.encode(
        estimate_project(snapshot, assumptions_in_force(snapshot.assumptions, AT), request, AT).body)


def _shared_snapshot(count: int) -> CatalogSnapshot:
    """Offerings that share their prices as resellers share a maker's: 40 distinct list prices over `count`
    offerings, with shared context tiers, open and closed time windows, and promotions on some offerings only (the
    same list price then differs after it), as a pricing per distinct price must keep apart."""
    models, timelines = {}, {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    promotion = Discount(1, "launch", Decimal(25), start, datetime(2026, 6, 1, tzinfo=UTC))
    ended = Discount(2, "ended", Decimal(50), start, datetime(2026, 2, 1, tzinfo=UTC))
    open_now = TimeWindow("off-peak", DailyWindow("UTC", frozenset(range(7)), 16 * 60 + 30, 30), Decimal("0.5"))
    closed_now = TimeWindow("lunch", DailyWindow("UTC", frozenset(range(7)), 12 * 60, 13 * 60), Decimal("0.75"))
    for number in range(count):
        kind = number % 40
        name = NAMES[number % len(NAMES)]
        model = f"p{number % 9}/{name}-{number:04d}" if number >= len(NAMES) else name
        cached = Decimal(kind % 5) / 100 if kind % 2 else None
        prices = TokenPrices(Decimal(kind + 1) / 10, Decimal(kind % 7 + 2) / 5, cached)
        tiers = (ContextTier(60_000 if kind % 8 else 90_000,
                             TokenPrices(prices.input_per_mtok * 2, prices.output_per_mtok * 2, cached)),)
        windows = (open_now,) if kind % 10 == 1 else (closed_now,) if kind % 10 == 2 else ()
        rules = PriceRules(tiers=tiers if kind % 3 == 0 else (), windows=windows)
        discounts = [promotion] if number % 11 == 0 else [ended] if number % 13 == 0 else []
        models[model] = ModelInfo(model, model.partition("/")[0] if "/" in model else "bench", model, None)
        timelines[model] = ModelTimeline([PricePeriod(number + 1, start, None, prices, rules)], discounts)
    return CatalogSnapshot(models=models, timelines=timelines, loaded_at=start, assumptions=SNAPSHOT.assumptions)


SHARED = _shared_snapshot(400)
# Taken from the answers of the code that priced every offering on its own (commit 607ce92).
SHARED_CASES = {
    ("chat", "medium", True): "740d6215c0dc1f5c07f4ad4e0de880a8519c3a2af84012cc3a387de86c671136",
    ("ide-assistant", "large", False): "33f7da917469b9d8c423681e8f2887671fe3a96c14b0d93cb99aa34b515b87c6",
    ("autonomous-agent", "medium", True): "77234a4a2f9b478d67da710f362e221ab4d1ca75169f052d93db96edb604e9cc",
    ("autonomous-agent", "small", False): "172ad9b375ce513d0f2f2fbdb2e997e6cfd24a7e8bf76f874f276aa114a5c80f",
}


@pytest.mark.parametrize(("tooling", "size", "breakdown"), list(SHARED_CASES))
def test_offerings_that_share_a_price_keep_their_bytes(tooling, size, breakdown):
    project = {"size": size, "features": 29, "tooling": tooling}
    body = _answer(SHARED, project, breakdown, "p3/deepseek-v4-flash-0012")
    assert hashlib.sha256(body).hexdigest() == SHARED_CASES[(tooling, size, breakdown)]
    assert _as_the_structs_encode(body) == body


def _as_the_structs_encode(body: bytes) -> bytes:
    """The answer read back into the wire structs (every field, none unknown) and encoded again: the models and
    plans spliced from shared JSON must be exactly what the structs give, field for field."""
    return msgspec.json.encode(msgspec.json.decode(body, type=wire.ProjectEstimateResult))


def _late_snapshot(count: int) -> CatalogSnapshot:
    """Offerings of one price each, every fifth priced only from after AT: those are unpriced at AT."""
    models, timelines = {}, {}
    for number in range(count):
        model = "deepseek-v4-flash" if number == 1 else f"p{number % 3}/late-{number:03d}"  # the self-host's model
        start = datetime(2026, 6, 1, tzinfo=UTC) if number % 5 == 0 else datetime(2026, 1, 1, tzinfo=UTC)
        prices = TokenPrices(Decimal(number % 7 + 1) / 10, Decimal(number % 5 + 2) / 5, Decimal("0.01"))
        models[model] = ModelInfo(model, f"p{number % 3}", model, None)
        timelines[model] = ModelTimeline([PricePeriod(number + 1, start, None, prices, PriceRules())], [])
    return CatalogSnapshot(models=models, timelines=timelines, loaded_at=AT, assumptions=SNAPSHOT.assumptions)


LATE = _late_snapshot(60)
HYBRID = {"kind": "hybrid", "draft": "gpt-5.5", "review": "claude-opus-4.7"}
# Sets named other ways than all_models: a provider's offerings with a named baseline, an explicit list, and every
# offering where some have no price yet. Taken from the code before issue 19's fourth round (commit f0232d4).
SET_CASES = {
    "provider": (SHARED, {"project": {"size": "medium", "features": 29, "tooling": "autonomous-agent"},
                          "provider": "p3", "baseline": "p3/gpt-5.5-0021", "strategies": [HYBRID]},
                 "468b1759dae6c8e6b76efa4b74cb8eafbdf49a82af4b8a4de8c50458a0882213"),
    "models": (SNAPSHOT, {"project": {"size": "small", "features": 37, "tooling": "ide-assistant"},
                          "models": ["gpt-5.5-0009", "claude-opus-4.7-0010", "bench-0011", "gpt-5.5", "gpt-5.5-0009"],
                          "baseline": "claude-opus-4.7-0010", "strategies": [HYBRID]},
                 "88fb61530fa89ff1b4e8e0700a7c410fb8f91eb316066f2ed8f1840ae6929bb7"),
    "unpriced": (LATE, {"project": {"size": "large", "features": 12, "tooling": "chat"}, "all_models": True,
                        "strategies": [{"kind": "self-host", "profile": "a100-node"}]},
                 "105a8fbd41c3d25c5c4867a0009318752426dd0ce6f201802e19b4333246089d"),
}


# Ratios to a baseline known exactly (a frontier model on chat: no retry range, no cache range), where a plan's two
# ratios are often one value, and to one with a cache range. Taken from the code before issue 19's sixth round
# (commit a05522d), which divided and formatted each plan's ratios one by one.
SELF_HOST = {"kind": "self-host", "profile": "a100-node"}
EXACT_BASELINE_CASES = {
    "chat on every offering, against gpt-5.5": (SNAPSHOT, {
        "project": {"size": "small", "features": 23, "tooling": "chat"}, "all_models": True, "breakdown": False,
        "baseline": "gpt-5.5",
        "strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}, SELF_HOST]},
        "677221bd73bf2596b10dd7fe41d6cf86b3b5e60052d89dc941312b9dfce136c8"),
    "chat on shared prices, against claude-opus-4.7": (SHARED, {
        "project": {"size": "small", "features": 23, "tooling": "chat"}, "all_models": True, "breakdown": True,
        "baseline": "claude-opus-4.7",
        "strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}, SELF_HOST]},
        "48ec10ea8ba6838feb6e5f53ed10502ce7c21aa1b5c2f233347256af0004940e"),
    "ide-assistant, against gpt-5.5": (SNAPSHOT, {
        "project": {"size": "small", "features": 23, "tooling": "ide-assistant"}, "all_models": True,
        "breakdown": True, "baseline": "gpt-5.5",
        "strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}, SELF_HOST]},
        "f2fb71717032df3cb1fe324af646e3e2b80f1fad0cdf25eb7bdeda9b875ba6cb"),
}


@pytest.mark.parametrize("case", [*SET_CASES, *EXACT_BASELINE_CASES])
def test_sets_named_other_ways_and_ratios_to_a_baseline_known_exactly_keep_their_bytes(case):
    snapshot, body, digest = {**SET_CASES, **EXACT_BASELINE_CASES}[case]
    request = msgspec.convert(body, wire.ProjectEstimateRequest)
    answer = msgspec.json.encode(
        estimate_project(snapshot, assumptions_in_force(snapshot.assumptions, AT), request, AT).body)
    assert hashlib.sha256(answer).hexdigest() == digest
    assert _as_the_structs_encode(answer) == answer
