"""Validation of a session's token usage."""

import pytest

from service.pricing.usage import MAX_TOKENS, Usage, UsageError


def test_usage_defaults_cache_counts_to_zero() -> None:
    usage = Usage(input_tokens=50_000, output_tokens=20_000)
    assert (usage.cached_input_tokens, usage.cache_write_tokens) == (0, 0)


def test_cached_input_may_equal_input_tokens() -> None:
    assert Usage(10, 0, cached_input_tokens=10).cached_input_tokens == 10


def test_cached_input_above_input_tokens_is_refused_with_an_explanation() -> None:
    with pytest.raises(UsageError) as caught:
        Usage(input_tokens=40_000, output_tokens=0, cached_input_tokens=50_000)
    assert caught.value.field == "cached_input_tokens"
    assert str(caught.value) == (
        "cached_input_tokens (50000) must not exceed input_tokens (40000): "
        "input_tokens counts the whole prompt, cache hits included"
    )


@pytest.mark.parametrize("field", ["input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens"])
def test_negative_token_counts_are_refused_naming_the_field(field: str) -> None:
    counts = {"input_tokens": 5, "output_tokens": 5, field: -1}
    with pytest.raises(UsageError, match=f"^{field} must not be negative") as caught:
        Usage(**counts)
    assert caught.value.field == field


@pytest.mark.parametrize("value", [True, 1.0, "10", None])
def test_token_counts_must_be_real_integers(value: object) -> None:
    with pytest.raises(UsageError, match="output_tokens must be a whole number of tokens") as caught:
        Usage(input_tokens=1, output_tokens=value)  # type: ignore[arg-type]
    assert caught.value.field == "output_tokens"


def test_token_counts_above_ten_to_the_fifteen_are_refused_with_the_limit() -> None:
    assert Usage(MAX_TOKENS, MAX_TOKENS).input_tokens == 10**15
    with pytest.raises(UsageError, match=r"input_tokens must be at most 1000000000000000 \(10\^15\)"):
        Usage(MAX_TOKENS + 1, 0)


def test_usage_error_is_a_value_error() -> None:
    assert issubclass(UsageError, ValueError)
