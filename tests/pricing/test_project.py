"""The project cost core against the article's figures, and its ranges, hybrids and self-hosting."""

from datetime import UTC, datetime
from decimal import Decimal as D

from service.pricing.prices import TokenPrices, apply_discounts
from service.pricing.project import (
    Bounds,
    ProjectShape,
    Range,
    Tooling,
    model_cost,
    session_costs,
    sessions_by_complexity,
    turn_prompts,
)
from service.pricing.project_plans import (
    NodeProfile,
    Plan,
    break_even,
    node_cost_per_mtok,
    rank,
    retry_key,
    review_cost,
)
from service.pricing.rules import ContextTier, PriceRules, TimeWindow
from service.pricing.timeline import Discount, EffectivePrice, PricePeriod
from service.pricing.windows import DailyWindow

AT = datetime(2026, 5, 10, tzinfo=UTC)
ONE = Range(D(1), D(1))
FLASH_RETRY = {"simple": ONE, "moderate": ONE, "complex": Range(D("1.6"), D("1.8"))}
FRONTIER_RETRY = {"simple": ONE, "moderate": ONE, "complex": ONE}
CHAT = Tooling({"simple": D(1), "moderate": D(2), "complex": D(4)}, 50_000, 20_000, 1, 0, Range(D(0), D(0)))


def price(input_: str, output: str, read: str | None = None, rules: PriceRules | None = None) -> EffectivePrice:
    prices = TokenPrices(D(input_), D(output), None if read is None else D(read))
    period = PricePeriod(1, datetime(2026, 1, 1, tzinfo=UTC), None, prices, *([rules] if rules else []))
    return EffectivePrice(period, (), prices)


FLASH = price("0.14", "0.28", "0.0028")
GPT55 = price("5", "30")


def cost_on(found: EffectivePrice, retries: dict[str, Range], mix: dict[str, D], features: int = 1,
            tooling: Tooling = CHAT, multiplier: D = D(1)):
    shape = ProjectShape(features, mix, multiplier)
    counts = sessions_by_complexity(shape, tooling)
    per_session = session_costs(found, turn_prompts(tooling, multiplier), tooling.output_tokens_per_turn,
                                tooling.cache_read_share, AT)
    return model_cost(counts, retries, per_session)


def test_one_simple_session_of_the_article_on_v4_flash_costs_exactly_0_0126() -> None:
    cost = cost_on(FLASH, FLASH_RETRY, {"simple": D(1)})
    assert cost.cost == (D("0.0126"), D("0.0126"), D("0.0126"))


def test_a_complex_session_on_v4_flash_is_0_02268_at_worst_and_gpt_5_5_is_37_48_times_that() -> None:
    flash = cost_on(FLASH, FLASH_RETRY, {"complex": D(1)})
    gpt = cost_on(GPT55, FRONTIER_RETRY, {"complex": D(1)})
    assert flash.per_session.cost.high * flash.by_complexity[2].retry.high == D("0.02268")
    assert flash.cost.high == 4 * D("0.02268")  # chat: four sessions for a complex feature
    assert gpt.per_session.cost.low == D("0.85")
    ranked, base = rank([Plan("deepseek-v4-flash", "model", flash.cost), Plan("gpt-5.5", "model", gpt.cost)])
    assert base is not None and base.name == "deepseek-v4-flash"
    assert ranked[1].at_least_times_baseline == D("37.48")


def test_expected_retries_are_the_midpoint_of_the_range() -> None:
    flash = cost_on(FLASH, FLASH_RETRY, {"complex": D(1)}, features=10)
    assert flash.sessions == (D(64), D(68), D(72))
    assert flash.cost.expected == D("0.0126") * 68


def test_a_cache_share_range_makes_the_cheapest_case_read_the_most_from_cache() -> None:
    tooling = CHAT._replace(cache_read_share=Range(D("0.5"), D("0.9")))
    cost = cost_on(FLASH, FRONTIER_RETRY, {"simple": D(1)}, tooling=tooling)
    # 45,000 cached at 0.0028, 5,000 at 0.14, 20,000 out at 0.28
    assert cost.cost.low == D("0.000126") + D("0.0007") + D("0.0056")
    assert cost.cost.high == D("0.00007") + D("0.0035") + D("0.0056")
    assert cost.per_session.cached_input_tokens == (45_000, 35_000, 25_000)


def test_growing_turns_that_cross_a_context_tier_are_charged_at_the_tier() -> None:
    tiered = PriceRules(tiers=(ContextTier(above_prompt_tokens=100_000, prices=TokenPrices(D(1), D(2))),))
    agent = Tooling({"simple": D(1)}, 60_000, 1_000, 3, 30_000, Range(D(0), D(0)))
    cost = cost_on(price("0.5", "1", rules=tiered), FRONTIER_RETRY, {"simple": D(1)}, tooling=agent)
    # turns of 60,000 and 90,000 at the base rates, one of 120,000 above the tier
    assert cost.cost.expected == D("0.075") + D("0.002") + D("0.12") + D("0.002")
    assert cost.per_session.context_tier == 100_000
    assert cost.per_session.input_tokens == 270_000


def test_the_context_multiplier_scales_prompts_to_whole_tokens() -> None:
    agent = Tooling({"simple": D(1)}, 1_001, 10, 2, 1_001, Range(D(0), D(0)))
    assert turn_prompts(agent, D("1.5")) == (1502, 3003)  # 1501.5 rounds half-even to 1502


def test_a_hybrid_adds_the_reviewed_share_of_each_complexity_on_the_review_model() -> None:
    mix = {"simple": D("0.5"), "complex": D("0.5")}
    draft = cost_on(FLASH, FLASH_RETRY, mix, features=2)
    review = cost_on(GPT55, FRONTIER_RETRY, mix, features=2)
    hybrid = review_cost(draft, review, {"complex": D(1)})
    assert hybrid.expected == draft.cost.expected + 4 * D("0.85")


def test_retry_rows_are_found_by_offering_then_model_then_family_then_default() -> None:
    keys = ["default", "deepseek-v4-flash", "gpt-5*", "gpt-*", "together/x"]
    assert retry_key(keys, "together/deepseek-v4-flash") == "deepseek-v4-flash"
    assert retry_key(keys, "together/x") == "together/x"
    assert retry_key(keys, "gpt-5.5") == "gpt-5*"
    assert retry_key(keys, "claude-opus-4.7") == "default"


def test_a_node_at_lower_utilization_spreads_its_cost_over_fewer_tokens() -> None:
    node = NodeProfile(D("10"), D("0.8"), Range(D("0.02"), D("0.04")), None)
    assert node_cost_per_mtok(node, D("0.4")) == (D("0.04"), D("0.08"))
    derived = NodeProfile(D("36"), D("1"), None, Range(D(100_000), D(200_000)))
    assert node_cost_per_mtok(derived, D("1")) == (D("0.05"), D("0.1"))


def test_break_even_is_the_node_month_over_the_api_price_when_the_node_can_serve_it() -> None:
    node = NodeProfile(D("10"), D("0.8"), Range(D("0.02"), D("0.04")), None)
    found = break_even(node, D("0.8"), D("0.18"))
    assert found.monthly_tokens == D(7300) * 1_000_000 / D("0.18") // 1 + 1
    assert found.capacity == (D(7300) * 1_000_000 / D("0.04"), D(7300) * 1_000_000 / D("0.02"))
    assert break_even(node, D("0.8"), D("0.03")).monthly_tokens is None


def _tiered_agent_cost(rules: PriceRules, percent_off: D | None) -> D:
    prices = TokenPrices(D("0.5"), D("1"))
    period = PricePeriod(1, datetime(2026, 1, 1, tzinfo=UTC), None, prices, rules)
    discounts = () if percent_off is None else (Discount(1, "launch", percent_off, period.valid_from, None),)
    found = EffectivePrice(period, discounts, apply_discounts(prices, [offer.percent_off for offer in discounts]))
    agent = Tooling({"simple": D(1)}, 60_000, 1_000, 3, 30_000, Range(D(0), D(0)))
    return cost_on(found, FRONTIER_RETRY, {"simple": D(1)}, tooling=agent).cost.expected


TIER = ContextTier(above_prompt_tokens=100_000, prices=TokenPrices(D(1), D(2)))


def test_turns_below_a_tier_are_charged_the_discounted_price_and_turns_above_the_discounted_tier() -> None:
    # Half off: turns of 60,000 and 90,000 at 0.25/0.5, one of 120,000 at the tier's 0.5/1.
    assert _tiered_agent_cost(PriceRules(tiers=(TIER,)), D(50)) == (
        D("0.0375") + D("0.001") + D("0.06") + D("0.001"))


def test_turns_below_a_tier_are_charged_the_time_window_open_at_the_instant() -> None:
    # A window open all day doubles every rate, below the tier as above it.
    window = TimeWindow("peak", DailyWindow("UTC", frozenset(range(7)), 0, 1440), D(2))
    assert _tiered_agent_cost(PriceRules(tiers=(TIER,), windows=(window,)), None) == 2 * (
        D("0.075") + D("0.002") + D("0.12") + D("0.002"))


def test_plans_of_equal_expected_cost_rank_by_name_and_exact_costs_give_one_ratio() -> None:
    exact, ranged = Bounds(D(2), D(2), D(2)), Bounds(D(1), D(2), D(3))
    ranked, base = rank([Plan("b", "model", exact), Plan("a", "model", ranged), Plan("c", "model",
                                                                                     Bounds(D(1), D(1), D(1)))])
    assert [item.plan.name for item in ranked] == ["c", "a", "b"]
    assert base is not None and base.name == "c"
    assert (ranked[1].times_baseline, ranked[1].at_least_times_baseline) == (D("2.00"), D("1.00"))
    assert (ranked[2].times_baseline, ranked[2].at_least_times_baseline) == (D("2.00"), D("2.00"))
