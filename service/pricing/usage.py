"""The token usage of one session, validated once so the arithmetic can trust it."""

from dataclasses import dataclass

MAX_TOKENS = 10**15


class UsageError(ValueError):
    """A usage that cannot be priced; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one session. input_tokens is the whole prompt, cache hits included."""

    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0

    def __post_init__(self) -> None:
        inputs, outputs, cached, writes = (
            self.input_tokens, self.output_tokens, self.cached_input_tokens, self.cache_write_tokens)
        # One expression for the usual, valid usage (every estimate and batch item passes here); the checks
        # below run only to say what is wrong.
        if (type(inputs) is int and type(outputs) is int and type(cached) is int and type(writes) is int
                and 0 <= cached <= inputs <= MAX_TOKENS and 0 <= outputs <= MAX_TOKENS and 0 <= writes <= MAX_TOKENS):
            return
        # Named explicitly rather than through dataclasses.fields(), which costs more than the whole estimate.
        _check_count("input_tokens", self.input_tokens)
        _check_count("output_tokens", self.output_tokens)
        _check_count("cached_input_tokens", self.cached_input_tokens)
        _check_count("cache_write_tokens", self.cache_write_tokens)
        if self.cached_input_tokens > self.input_tokens:
            raise UsageError(
                "cached_input_tokens",
                f"cached_input_tokens ({self.cached_input_tokens}) must not exceed input_tokens "
                f"({self.input_tokens}): input_tokens counts the whole prompt, cache hits included",
            )


    @property
    def prompt_tokens(self) -> int:
        """The whole prompt a context tier looks at: input (cache hits included) plus cache writes."""
        return self.input_tokens + self.cache_write_tokens


def _check_count(name: str, value: object) -> None:
    # bool is an int subclass: True tokens is a client bug, not one token.
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(name, f"{name} must be a whole number of tokens, got {value!r}")
    if value < 0:
        raise UsageError(name, f"{name} must not be negative, got {value}")
    if value > MAX_TOKENS:
        raise UsageError(name, f"{name} must be at most {MAX_TOKENS} (10^15), got {value}")
