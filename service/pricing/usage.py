"""The token usage of one session, validated once so the arithmetic can trust it."""

from typing import NamedTuple

from service.pricing.errors import InvalidUsage, path_of

MAX_TOKENS = 10**15


class UsageError(InvalidUsage):
    """A usage that cannot be priced, at `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, *path_of(field))


class MoreUsage(NamedTuple):
    """What a session uses beyond its four token counts; built only when a request says any of it.

    Audio and image tokens are counted inside the usage's tokens, as OpenAI, Anthropic and LiteLLM report them:
    audio_input_tokens and image_input_tokens are the part of input_tokens that is not a cache hit and is audio or
    image (cache hits are charged at the cache read price, whatever they hold), audio_output_tokens and
    image_output_tokens the part of output_tokens. cache_write_1h_tokens is the part of cache_write_tokens written
    for one hour; the rest is the default (five-minute) write. requests is the number of requests in the session.
    """

    requests: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0
    image_input_tokens: int = 0
    image_output_tokens: int = 0
    cache_write_1h_tokens: int = 0


NO_MORE_USAGE = MoreUsage()


class _Tokens(NamedTuple):
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    more: MoreUsage | None  # None: nothing beyond the four counts, the usual session


class Usage(_Tokens):
    """Tokens of one session. input_tokens is the whole prompt, cache hits included.

    A validated NamedTuple rather than a frozen dataclass: just as immutable, and built in a third of the time
    (a frozen dataclass sets each field through object.__setattr__), which counts once per estimate and
    10,000 times per batch.
    """

    __slots__ = ()

    def __new__(cls, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0,
                cache_write_tokens: int = 0, more: MoreUsage | None = None) -> "Usage":
        # One expression for the usual, valid usage; _explain runs only to say what is wrong.
        if not (type(input_tokens) is int and type(output_tokens) is int and type(cached_input_tokens) is int
                and type(cache_write_tokens) is int and 0 <= cached_input_tokens <= input_tokens <= MAX_TOKENS
                and 0 <= output_tokens <= MAX_TOKENS and 0 <= cache_write_tokens <= MAX_TOKENS):
            _explain(input_tokens, output_tokens, cached_input_tokens, cache_write_tokens)
        if more is not None:
            if more == NO_MORE_USAGE:
                more = None  # all zeros: the usual session, priced as if nothing more was said
            else:
                _check_more(more, input_tokens - cached_input_tokens, output_tokens, cache_write_tokens)
        return tuple.__new__(cls, (input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, more))

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


def _check_more(more: MoreUsage, uncached_input: int, output_tokens: int, cache_write_tokens: int) -> None:
    for name, value in zip(MoreUsage._fields, more, strict=True):
        _check_count(name, value)
    if more.audio_input_tokens + more.image_input_tokens > uncached_input:
        raise UsageError("audio_input_tokens", (
            f"audio_input_tokens ({more.audio_input_tokens}) and image_input_tokens ({more.image_input_tokens}) "
            f"must not exceed input_tokens less cached_input_tokens ({uncached_input}): they are the part of the "
            "input that is audio or image, and not a cache hit"))
    if more.audio_output_tokens + more.image_output_tokens > output_tokens:
        raise UsageError("audio_output_tokens", (
            f"audio_output_tokens ({more.audio_output_tokens}) and image_output_tokens ({more.image_output_tokens}) "
            f"must not exceed output_tokens ({output_tokens}): they are the part of the output that is audio or image"))
    if more.cache_write_1h_tokens > cache_write_tokens:
        raise UsageError("cache_write_1h_tokens", (
            f"cache_write_1h_tokens ({more.cache_write_1h_tokens}) must not exceed cache_write_tokens "
            f"({cache_write_tokens}): they are the part of the cache writes kept for one hour"))
