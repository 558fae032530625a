"""`pricing-api quote --project FILE.toml`: quote a whole project and fail the build when its plan is over budget.

The file is the body of POST /v1/estimate/project in TOML (examples/project.toml). Decimals in it are read
exactly (never as floats) and sent as strings. The gate compares one plan's cost, by default the cheapest plan's
high estimate: a budget should hold in the dearest case.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def read_project(path: str) -> dict[str, Any]:
    with Path(path).open("rb") as file:
        return _exact(tomllib.load(file, parse_float=Decimal))  # type: ignore[no-any-return]


def run(args: argparse.Namespace, budget: Decimal) -> int:
    try:
        request = read_project(args.project)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"pricing-api quote: cannot read {args.project}: {exc}", file=sys.stderr)
        return 2
    if args.at:
        request["at"] = args.at
    try:
        response = httpx.post(f"{args.url.rstrip('/')}/v1/quotes", json={"kind": "project", "request": request},
                              headers={"Idempotency-Key": f"budget-gate-{uuid.uuid4()}"}, timeout=60)
    except httpx.HTTPError as exc:
        print(f"pricing-api quote: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    if response.status_code != 201:
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        body = response.json() if problem else {}
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in body.get("errors") or [])
        detail = fields or body.get("detail") or response.text[:200]
        print(f"pricing-api quote: the service refused the quote ({response.status_code}): {detail}", file=sys.stderr)
        return 2
    quote = response.json()
    plans = quote["result"]["plans"]
    plan = next((p for p in plans if p["plan"] == args.plan), None) if args.plan else plans[0]
    if plan is None:
        print(f"pricing-api quote: no plan '{args.plan}' in the quote; plans: "
              f"{', '.join(p['plan'] for p in plans)}", file=sys.stderr)
        return 2
    cost = plan["cost"][args.bound]
    print(f"quote {quote['id']}: project plan {plan['plan']} costs {cost} USD ({args.bound}; low "
          f"{plan['cost']['low']}, expected {plan['cost']['expected']}, high {plan['cost']['high']}); "
          f"budget {args.max_usd} USD")
    if Decimal(cost) > budget:
        print(f"over budget by {Decimal(cost) - budget} USD", file=sys.stderr)
        return 1
    return 0
