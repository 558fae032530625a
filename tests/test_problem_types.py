"""Every problem type the service sends has a stable URI and a section in docs/problems.md; no section is stale."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import service
from service.pricing.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
# Problem types made without an InputError class: ProblemError(status, "slug", ...) and literal "/problems/slug".
_RAISED = re.compile(r'ProblemError\(\s*\d{3},\s*"([a-z-]+)"|"/problems/([a-z-]+)"')


def _input_error_types() -> set[str]:
    for module in pkgutil.walk_packages(service.__path__, "service."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    found: set[str] = set()
    pending = [InputError]
    while pending:
        cls = pending.pop()
        found.add(cls.problem_type)
        pending.extend(cls.__subclasses__())
    return found


def _other_types() -> set[str]:
    text = "\n".join(path.read_text() for path in (ROOT / "service").rglob("*.py"))
    return {a or b for a, b in _RAISED.findall(text)}


def _documented() -> set[str]:
    return set(re.findall(r"^## ([a-z-]+)$", (ROOT / "docs" / "problems.md").read_text(), re.M))


def test_every_problem_type_is_documented_and_every_section_is_a_type() -> None:
    sent = _input_error_types() | _other_types()
    assert "variant-not-offered" in sent and "not-found" in sent  # the scan sees both kinds of source
    assert sent - _documented() == set(), "problem types without a section in docs/problems.md"
    assert _documented() - sent == set(), "sections of docs/problems.md that no code sends"


def test_each_input_error_class_has_its_own_type_unless_it_only_locates_a_core_one() -> None:
    _input_error_types()
    seen: dict[str, type] = {}
    pending = [InputError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        owner = seen.setdefault(cls.problem_type, cls)
        # A subclass may share its parent's type (MoneyError is an InvalidAmount); unrelated classes may not.
        assert issubclass(cls, owner) or issubclass(owner, cls), (cls, owner)
