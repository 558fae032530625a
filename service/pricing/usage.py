"""The token usage of one session, validated once so the arithmetic can trust it."""

from typing import NamedTuple

from service.pricing.errors import InvalidUsage, path_of

MAX_TOKENS = 10**15


class UsageError(InvalidUsage):
    """A usage that cannot be priced, at `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, *path_of(field))


class _Tokens(NamedTuple):
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int


class Usage(_Tokens):
    """Tokens of one session. input_tokens is the whole prompt, cache hits included.

    A validated NamedTuple rather than a frozen dataclass: just as immutable, and built in a third of the time
    (a frozen dataclass sets each field through object.__setattr__), which counts once per estimate and
    10,000 times per batch.
    """

    __slots__ = ()

    def __new__(cls, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0,
                cache_write_tokens: int = 0) -> "Usage":
        # One expression for the usual, valid usage; _explain runs only to say what is wrong.
        if not (type(input_tokens) is int and type(output_tokens) is int and type(cached_input_tokens) is int
                and type(cache_write_tokens) is int and 0 <= cached_input_tokens <= input_tokens <= MAX_TOKENS
                and 0 <= output_tokens <= MAX_TOKENS and 0 <= cache_write_tokens <= MAX_TOKENS):
            _explain(input_tokens, output_tokens, cached_input_tokens, cache_write_tokens)
        return tuple.__new__(cls, (input_tokens, output_tokens, cached_input_tokens, cache_write_tokens))

    @property
    def prompt_tokens(self) -> int:
        """The whole prompt a context tier looks at: input (cache hits included) plus cache writes."""
        return self.input_tokens + self.cache_write_tokens


def _explain(input_tokens: object, output_tokens: object, cached_input_tokens: object,
             cache_write_tokens: object) -> None:
    _check_count("input_tokens", input_tokens)
    _check_count("output_tokens", output_tokens)
    _check_count("cached_input_tokens", cached_input_tokens)
    _check_count("cache_write_tokens", cache_write_tokens)
    raise UsageError(
        "cached_input_tokens",
        f"cached_input_tokens ({cached_input_tokens}) must not exceed input_tokens "
        f"({input_tokens}): input_tokens counts the whole prompt, cache hits included",
    )


def _check_count(name: str, value: object) -> None:
    # bool is an int subclass: True tokens is a client bug, not one token.
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(name, f"{name} must be a whole number of tokens, got {value!r}")
    if value < 0:
        raise UsageError(name, f"{name} must not be negative, got {value}")
    if value > MAX_TOKENS:
        raise UsageError(name, f"{name} must be at most {MAX_TOKENS} (10^15), got {value}")
