"""The import report's books: every entry of a file is imported or skipped, every price component held or named.

A component is one price a file states: a key of a LiteLLM entry (`input_cost_per_audio_token`, and each price in
`tiered_pricing[1]` or `off_peak_pricing`), or a price of a genai-prices model (`prices[2].cache_write_1h_mtok`).
Each one ends either held (it is in the imported price, exactly or rounded as amounts.py says) or named: a report
line says which entry, which component and why it is left out. The counts are kept here, in one place, so that
entries read = imported + skipped and components read = held + named by construction, and a test can check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# The reason given to a component nobody classified: a key that is new upstream. The import still names it, and
# the tests on the full files fail while any component of theirs gets it, so it is classified before it ships.
UNKNOWN = "an unknown price key: not held"


@dataclass(slots=True)
class Books:
    """The counts and lines of one parsed file."""

    entries_read: int = 0
    entries_imported: int = 0
    entries_skipped: int = 0
    components_read: int = 0
    components_held: int = 0
    components_named: int = 0
    lines: list[str] = field(default_factory=list)  # one per skipped entry and per component left out
    rounded: list[str] = field(default_factory=list)  # held components whose price was rounded to 12 digits

    def add(self, other: Books) -> None:
        for name in ("entries_read", "entries_imported", "entries_skipped", "components_read", "components_held",
                     "components_named"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lines += other.lines
        self.rounded += other.rounded

    @property
    def balanced(self) -> bool:
        return (self.entries_read == self.entries_imported + self.entries_skipped
                and self.components_read == self.components_held + self.components_named)


class Entry:
    """One entry's components while it is read: each is held or named once its fate is known."""

    def __init__(self, books: Books, key: str, components: Iterable[str]) -> None:
        self.books, self.key = books, key
        # None: held; a string: why it is left out. One without a fate yet is named when the entry closes.
        self.fates: dict[str, str | None] = {}
        self.components = tuple(dict.fromkeys(components))
        self.closed = False
        books.entries_read += 1

    def hold(self, component: str) -> None:
        self.fates[component] = None

    def name(self, component: str, reason: str) -> None:
        self.fates.setdefault(component, reason)  # the first reason found is the one that decided

    def rounded(self, component: str, original: object, price: object) -> None:
        self.books.rounded.append(f"{self.key}: {component} {original} per 1M rounded to {price}: more than 12 "
                                  "decimals")

    def imported(self, reason_for: Callable[[str], str | None]) -> None:
        """The entry is in; a component neither held nor named yet is named by `reason_for` (else UNKNOWN)."""
        self._close()
        self.books.entries_imported += 1
        for component in self.components:
            self.books.components_read += 1
            fate = self.fates[component] if component in self.fates else reason_for(component) or UNKNOWN
            if fate is None:
                self.books.components_held += 1
            else:
                self.books.components_named += 1
                self.books.lines.append(f"{self.key}: {component} left out: {fate}")

    def skipped(self, reason: str) -> None:
        """The entry is not imported: one line, and every component it states is named by it."""
        self._close()
        self.books.entries_skipped += 1
        self.books.components_read += len(self.components)
        self.books.components_named += len(self.components)
        self.books.lines.append(f"{self.key}: skipped: {reason}")

    def _close(self) -> None:
        assert not self.closed, f"{self.key} was closed twice"  # an entry counts once, imported or skipped
        self.closed = True
