"""The wire form of a project estimate's parts: costs as bounds, models with their breakdown, plans, break-even.

A project over every offering formats tens of thousands of amounts. Sessions and tokens are the same for every model
of one retry factor, and everything but a model's id and price id is the same for every offering of one cost (the
offerings that share a price): one Formatter per answer keeps those parts, by the identity of what they were made
from (kept alive beside them, so that an id is never reused during the answer; hashing Decimals cost more than
formatting them), and formats a bound whose three values are equal once.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import NamedTuple

import msgspec

from service.estimates import project_schemas as wire
from service.pricing.money import MONEY_CONTEXT, format_decimal, format_many
from service.pricing.project import (
    Attempts,
    Bounds,
    ComplexityAttempts,
    ModelCost,
    Range,
    SessionCosts,
    blended_per_mtok,
)
from service.pricing.project_plans import NodeProfile, Ranked, break_even, node_cost_per_mtok, node_monthly_usd


class _ByRetries(NamedTuple):
    """What every model of one set of retry factors shows alike."""

    attempts: Attempts  # the key's owner, kept alive
    sessions: wire.BoundsOut
    tokens: wire.TokensOut
    # By complexity: its ComplexityOut in JSON up to its cost's bounds, and its attempts (sessions x retry factor).
    parts: list[tuple[bytes, Bounds]]
    json: bytes  # `,"sessions":…,"tokens":…`
    pieces: tuple[str, ...]  # the JSON of `by_complexity` cut where its nine amounts go (prepare_tails puts them in)
    text: str  # `json`, as text


class _Kept(NamedTuple):
    """A part of the answer, and what it was made from (kept alive, so that its id stays its own)."""

    source: object
    part: bytes


class Formatter:
    def __init__(self) -> None:
        # A model's plan has the very bounds of its cost: formatted once, by identity.
        self._bounds: dict[int, tuple[Bounds, wire.BoundsOut]] = {}
        self._bounds_json: dict[int, _Kept] = {}
        self._by_retries: dict[int, _ByRetries] = {}
        # Cache reads per session: the same on every flat price, so formatted once per distinct three.
        self._counts: dict[tuple[int, int, int], wire.BoundsOut] = {}
        self._counts_json: dict[tuple[int, int, int], bytes] = {}
        # A session's tokens and tier, in JSON (_session_rest).
        self._sessions: dict[tuple[object, ...], bytes] = {}
        self._session_texts: dict[tuple[object, ...], str] = {}
        self._warnings: dict[tuple[str, ...], str] = {}
        # Model tails made ahead by prepare_tails, by the identity of their ModelCost.
        self._tails: dict[int, _Kept] = {}

    def text(self, value: Decimal) -> str:
        return format_decimal(value)

    def kept_bounds(self, bounds: Bounds) -> wire.BoundsOut:
        """bounds(), remembered for another part of the same answer that shows the same Bounds object."""
        found = self._bounds.get(id(bounds))
        if found is None:
            found = self._bounds[id(bounds)] = (bounds, self.bounds(bounds))
        return found[1]

    def bounds(self, bounds: Bounds) -> wire.BoundsOut:
        low, expected, high = bounds
        if low == high:  # no range: the three are one value
            text = format_decimal(low)
            return wire.BoundsOut(low=text, expected=text, high=text)
        return wire.BoundsOut(low=format_decimal(low), expected=format_decimal(expected), high=format_decimal(high))

    def counts(self, values: tuple[int, int, int]) -> wire.BoundsOut:
        found = self._counts.get(values)
        if found is None:
            found = self._counts[values] = wire.BoundsOut(low=str(values[0]), expected=str(values[1]),
                                                          high=str(values[2]))
        return found

    def range(self, span: Range) -> wire.RangeOut:
        return wire.RangeOut(low=self.text(span.low), high=self.text(span.high))

    def _by_retry(self, cost: ModelCost) -> _ByRetries:
        # Sessions and tokens depend on the retry factors alone: every session has the same tokens on every model.
        found = self._by_retries.get(id(cost.attempts))
        if found is None:
            session = cost.per_session
            sessions = self.bounds(cost.sessions)
            tokens = wire.TokensOut(input=self.bounds(cost.sessions.times(Decimal(session.input_tokens))),
                                    output=self.bounds(cost.sessions.times(Decimal(session.output_tokens))))
            parts = [(self._complexity_head(part), part.attempts) for part in cost.attempts.parts]
            # The JSON of `by_complexity` cut where the amounts go (encoded JSON holds no NUL character).
            cut = ",".join(head.decode() + _BOUNDS_CUT + "}" for head, _ in parts)
            json = b',"sessions":%b,"tokens":%b' % (_encode(sessions), _encode(tokens))
            found = self._by_retries[id(cost.attempts)] = _ByRetries(
                cost.attempts, sessions, tokens, parts, json, tuple(f"[{cut}]".split("\0")), json.decode())
        return found

    # Over every offering, the models and model plans are most of the answer: each is spliced (project.py) from its
    # id, its price id and the JSON that every offering of its cost shares, made here once per cost from the parts'
    # own encodings and the fields' names in the structs' order (wire.ModelProjectOut, wire.PlanOut, wire.SessionOut,
    # wire.BoundsOut). tests/estimates/test_project_digest.py holds the bytes to what encoding the structs gave, and
    # reads every field back into the structs.

    def model_tail(self, cost: ModelCost, breakdown: bool) -> bytes:
        """A model's answer in JSON after its `model` and `price_id`: the same for every offering of one ModelCost
        (project.cost_all shares it between offerings at one price with the same retry factors). Made once per run
        of such offerings (a cost's offerings are one run, unless a strategy or an equal cost splits them), unless
        prepare_tails made it."""
        if self._tails:
            kept = self._tails.get(id(cost))
            if kept is not None:
                return kept.part
        session = cost.per_session
        found = self._by_retries.get(id(cost.attempts))
        warnings = session.warnings
        return b"".join((b',"cost":', self.bounds_json(cost.cost), (found or self._by_retry(cost)).json,
                         b',"per_session":{"cost":', self._bounds_bytes(session.cost), self._session_rest(session),
                         b',"by_complexity":', self._breakdown_json(cost) if breakdown else b"[]", b',"warnings":',
                         _encode(warnings) if warnings else b"[]", b"}"))

    def prepare_tails(self, costs: list[ModelCost], breakdown: bool) -> None:
        """model_tail() of each cost whose session costs are a range (the cache share as a range), with every amount
        of them all formatted in one call (format_many): the cost's and the session's bounds, and the breakdown's
        nine products (those of _breakdown_json). The same texts, so the same bytes; each cost's bounds are kept for
        bounds_json (a model's plan shows them)."""
        ranged: list[tuple[ModelCost, _ByRetries]] = []
        values: list[Decimal] = []
        extend = values.extend
        by_retries, tails = self._by_retries, self._tails
        # The products of _breakdown_json by the operators in MONEY_CONTEXT, which skip a context method's argument
        # tuple and its parsing: the same exact products.
        with localcontext(MONEY_CONTEXT):
            for cost in costs:
                per_session = cost.per_session.cost
                low, expected, high = per_session
                if low == high or id(cost) in tails:
                    continue
                by_retry = by_retries.get(id(cost.attempts)) or self._by_retry(cost)
                ranged.append((cost, by_retry))
                extend(cost.cost)
                extend(per_session)
                if breakdown:
                    for _, attempts in by_retry.parts:
                        extend((attempts.low * low, attempts.expected * expected, attempts.high * high))
        texts = format_many(values)
        # Each tail as one f-string (its parts joined without parsing a template) and one encoding.
        kept_bounds, start = self._bounds_json, 0
        session_texts, warnings_texts = self._session_rest_text, self._warnings_text
        for cost, by_retry in ranged:
            session = cost.per_session
            low_text, expected_text, high_text, session_low, session_expected, session_high = texts[start:start + 6]
            if breakdown:
                amounts = texts[start + 6:start + 15]
                pieces = by_retry.pieces
                by_complexity = "".join([pieces[0], amounts[0], pieces[1], amounts[1], pieces[2], amounts[2], pieces[3],
                                         amounts[3], pieces[4], amounts[4], pieces[5], amounts[5], pieces[6],
                                         amounts[6], pieces[7], amounts[7], pieces[8], amounts[8], pieces[9]])
                start += 15
            else:
                by_complexity = "[]"
                start += 6
            cost_text = f'{{"low":"{low_text}","expected":"{expected_text}","high":"{high_text}"}}'
            if id(cost.cost) not in kept_bounds:
                kept_bounds[id(cost.cost)] = _new(_Kept, (cost.cost, cost_text.encode()))
            tails[id(cost)] = _new(_Kept, (cost, (
                f',"cost":{cost_text}{by_retry.text},"per_session":{{"cost":{{"low":"{session_low}",'
                f'"expected":"{session_expected}","high":"{session_high}"}}{session_texts(session)},'
                f'"by_complexity":{by_complexity},"warnings":{warnings_texts(session.warnings)}}}'
            ).encode()))

    def _session_rest(self, session: SessionCosts) -> bytes:
        # A session's JSON after its cost: the same tokens for every model with no context tier, so made once each.
        key = session[1:5]
        found = self._sessions.get(key)
        if found is None:
            tier = session.context_tier
            found = self._sessions[key] = _SESSION_REST % (
                session.input_tokens, self._counts_bytes(session.cached_input_tokens), session.output_tokens,
                b"null" if tier is None else b"%d" % tier)
        return found

    def _session_rest_text(self, session: SessionCosts) -> str:
        key = session[1:5]
        found = self._session_texts.get(key)
        if found is None:
            found = self._session_texts[key] = self._session_rest(session).decode()
        return found

    def _warnings_text(self, warnings: tuple[str, ...]) -> str:
        # Tiered prices of one split share one tuple of warnings (service.pricing.project.TierSplit).
        if not warnings:
            return "[]"
        found = self._warnings.get(warnings)
        if found is None:
            found = self._warnings[warnings] = _encode(warnings).decode()
        return found

    def _counts_bytes(self, values: tuple[int, int, int]) -> bytes:
        found = self._counts_json.get(values)
        if found is None:
            found = self._counts_json[values] = _encode(self.counts(values))
        return found

    def _complexity_head(self, part: ComplexityAttempts) -> bytes:
        """A complexity's wire.ComplexityOut in JSON before its cost's bounds (its last field): the same for every
        model of one set of retry factors."""
        whole = _encode(wire.ComplexityOut(complexity=part.complexity,  # type: ignore[arg-type]
                                           features=format_decimal(part.features),
                                           sessions=format_decimal(part.sessions), retry_factor=self.range(part.retry),
                                           cost=_NO_BOUNDS))
        assert whole.endswith(_NO_BOUNDS_TAIL)
        return whole[:-len(_NO_BOUNDS_TAIL)]

    def _breakdown_json(self, cost: ModelCost) -> bytes:
        """The JSON of `by_complexity`: each complexity's head and its cost, its attempts times the session's cost
        (the products of ModelCost.by_complexity), formatted as _bounds_bytes does."""
        low, expected, high = cost.per_session.cost
        exact = low == high  # else the session's costs are a range: prepare_tails has made most such tails
        parts = []
        for head, attempts in self._by_retry(cost).parts:
            if exact and attempts.low == attempts.high:  # the three products are one value
                text = format_decimal(_mul(attempts.low, low)).encode()
                parts.append(b"".join((head, b'{"low":"', text, b'","expected":"', text, b'","high":"', text,
                                       b'"}}')))
            else:
                parts.append(b"".join((head, self._bounds_bytes(_new(Bounds, (
                    _mul(attempts.low, low), _mul(attempts.expected, expected), _mul(attempts.high, high)))), b"}")))
        return b"[%b]" % b",".join(parts)

    def bounds_json(self, bounds: Bounds) -> bytes:
        """kept_bounds() in JSON, remembered the same way."""
        found = self._bounds_json.get(id(bounds))
        if found is None:
            found = self._bounds_json[id(bounds)] = _new(_Kept, (bounds, self._bounds_bytes(bounds)))
        return found.part

    def _bounds_bytes(self, bounds: Bounds) -> bytes:
        # bounds() in JSON: money texts are digits, a point and a sign, which a JSON string holds as they are.
        low, expected, high = bounds
        if low == high:
            text = format_decimal(low).encode()
            return b"".join((b'{"low":"', text, b'","expected":"', text, b'","high":"', text, b'"}'))
        return b"".join((b'{"low":"', format_decimal(low).encode(), b'","expected":"',
                         format_decimal(expected).encode(), b'","high":"', format_decimal(high).encode(), b'"}'))

    def plan_tails(self, costs: list[Bounds], ratios: list[tuple[Decimal | None, Decimal | None]]) -> list[bytes]:
        """Model plans' answers in JSON after their `plan` (the model's id), for plans of these costs with these
        ratios: the same for every offering of one cost, whose ratios are the same, so made once per run (as
        model_tail), with every ratio formatted in one call (format_many)."""
        values: list[Decimal] = []
        for times, at_least in ratios:
            if times is not None:
                values.append(times)
            if at_least is not None and at_least is not times:
                values.append(at_least)
        texts = iter([b'"%b"' % text.encode() for text in format_many(values)])
        tails = []
        for cost, (times, at_least) in zip(costs, ratios, strict=True):
            times_json = b"null" if times is None else next(texts)
            # Baseline gives one Decimal for both ratios when they are equal (every plan's, when costs are exact).
            at_least_json = b"null" if at_least is None else times_json if at_least is times else next(texts)
            tails.append(b"".join((b',"kind":"model","cost":', self.bounds_json(cost), b',"times_baseline":',
                                   times_json, b',"at_least_times_baseline":', at_least_json, b"}")))
        return tails

    def plan(self, ranked: Ranked) -> wire.PlanOut:
        plan = ranked.plan
        times, at_least = self._ratios(ranked.times_baseline, ranked.at_least_times_baseline)
        return wire.PlanOut(plan=plan.name, kind=plan.kind, cost=self.kept_bounds(plan.cost),  # type: ignore[arg-type]
                            times_baseline=times, at_least_times_baseline=at_least)

    def _ratios(self, times: Decimal | None, at_least: Decimal | None) -> tuple[str | None, str | None]:
        text = self._ratio(times)
        # Baseline.ratios gives one Decimal for both ratios when they are equal (every plan's, when costs are exact).
        return text, text if at_least is times else self._ratio(at_least)

    def _ratio(self, value: Decimal | None) -> str | None:
        return None if value is None else self.text(value)

    def break_even(self, profile: str, node: NodeProfile, utilization: Decimal,
                   models: list[tuple[str, ModelCost]]) -> wire.BreakEvenOut:
        rows = []
        capacity = break_even(node, utilization, None).capacity
        # The same for every offering of one session's cost (kept alive by `models`): worked out once each.
        by_session: dict[int, wire.BreakEvenModelOut] = {}
        for model, cost in models:
            found = by_session.get(id(cost.per_session))
            if found is None:
                found = by_session[id(cost.per_session)] = self._break_even_row(node, utilization, cost.per_session)
            rows.append(wire.BreakEvenModelOut(model=model, api_per_mtok=found.api_per_mtok,
                                               monthly_tokens=found.monthly_tokens))
        return wire.BreakEvenOut(
            profile=profile, utilization=self.text(utilization), node_monthly_usd=self.text(node_monthly_usd(node)),
            cost_per_mtok_range=self.range(node_cost_per_mtok(node, utilization)),
            capacity_monthly_tokens=self.range(capacity), models=rows)

    def _break_even_row(self, node: NodeProfile, utilization: Decimal,
                        per_session: SessionCosts) -> wire.BreakEvenModelOut:
        api = blended_per_mtok(per_session)
        found = break_even(node, utilization, api)
        return wire.BreakEvenModelOut(
            model="", api_per_mtok=None if api is None else self.text(api),
            monthly_tokens=None if found.monthly_tokens is None else self.text(found.monthly_tokens))


_encode = msgspec.json.Encoder().encode
_mul = MONEY_CONTEXT.multiply
# wire.BoundsOut's JSON with a NUL where each of its three money texts goes (digits, a point and a sign, which a JSON
# string holds as they are), its fields in the struct's order.
_BOUNDS_CUT = '{"low":"\0","expected":"\0","high":"\0"}'
# A cost's bounds as they end a ComplexityOut, to cut from its encoding.
_NO_BOUNDS = wire.BoundsOut(low="", expected="", high="")
_NO_BOUNDS_TAIL = b'{"low":"","expected":"","high":""}}'
# tuple.__new__ skips a NamedTuple's Python-level constructor, on the paths run once per distinct cost.
_new = tuple.__new__
# The JSON of wire.SessionOut after its cost, its fields in the struct's order (and wire.BoundsOut's in _bounds_bytes).
_SESSION_REST = b',"input_tokens":%d,"cached_input_tokens":%b,"output_tokens":%d,"context_tier":%b}'
