"""Input errors by type: each kind of bad input is a class that names its problem type and the field at fault.

They live in the core because the core is where most input is judged (money, usage, rules, windows), and the
core imports nothing of the service; routes raise the same classes. Callers decide by class and by `path`,
never by the wording of `detail`, which is for people and may change. service.http turns them into
RFC 9457 problems: `type` is `/problems/{problem_type}`, and `errors` names the field by its JSON pointer.
"""

from __future__ import annotations

from typing import ClassVar

PathPart = str | int


def path_of(field: str) -> tuple[PathPart, ...]:
    """ "rules.context_tiers[2].input_per_mtok" as path parts; "" is the whole input."""
    parts: list[PathPart] = []
    for name in filter(None, field.replace("[", ".[").split(".")):
        parts.append(int(name[1:-1]) if name.startswith("[") and name.endswith("]") else name)
    return tuple(parts)


class InputError(ValueError):
    """Input that cannot be accepted. `path` locates the field from the root of what was sent (empty: the
    whole input); `detail` says what to send instead."""

    problem_type: ClassVar[str] = "validation-error"
    title: ClassVar[str] = "Invalid request"
    status: ClassVar[int] = 422
    in_header: ClassVar[bool] = False  # `path` names a header, not a place in the JSON body

    def __init__(self, detail: str, *path: PathPart) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: tuple[PathPart, ...] = path

    def within(self, *prefix: PathPart) -> InputError:
        """The same error, located inside `prefix` (an estimate's field inside a batch's item, say)."""
        self.path = (*prefix, *self.path)
        return self

    def about(self, subject: str) -> InputError:
        """The same error, its detail saying what it is about ("model 'gpt-4.1': ...")."""
        self.detail = f"{subject}: {self.detail}"
        self.args = (self.detail,)
        return self

    @property
    def pointer(self) -> str:
        """RFC 6901: "/items/3/input_tokens"; "" for the whole input."""
        return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in self.path)

    @property
    def field(self) -> str:
        """The path as people write it: "items[3].input_tokens"; "body" for the whole input."""
        text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.path).lstrip(".")
        return text or "body"


class InvalidValue(InputError):
    """A value fails its schema: wrong type, out of range, not matching its pattern, unknown or missing."""



class InvalidAmount(InputError):
    """A decimal amount (a price, a factor, a share) that is not finite, in range and exact to 12 places."""

    problem_type = "invalid-amount"


class InvalidUsage(InputError):
    """Token counts that cannot be priced (negative, fractional, too large, or cached above the prompt)."""

    problem_type = "invalid-usage"



class InvalidWindow(InputError):
    """A time window or distribution that cannot be used (unknown zone, empty window, unknown day)."""

    problem_type = "invalid-window"


class InvalidRules(InputError):
    """A price's rules that do not hold together (tiers that do not rise, a multiplier out of range)."""

    problem_type = "invalid-rules"


class VariantNotOffered(InputError):
    """A batch, flex or priority rate asked of a price that does not offer it: never priced at the standard rate."""

    problem_type = "variant-not-offered"
    title = "Variant not offered"


class NoActiveHours(InputError):
    """A monthly distribution under which no hour of the month is active, so nothing can be spread over it."""

    problem_type = "no-active-hours"
    title = "No active hours"


