"""`pricing-api quote`: ask a running service for a quote and fail the build when it is over budget.

Exit codes: 0 within budget, 1 over budget, 2 the quote could not be had (bad input, service unreachable).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from decimal import Decimal, InvalidOperation

import httpx

from service.cli import project_gate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", help="a project file (TOML, examples/project.toml): quote the whole project")
    parser.add_argument("--plan", help="with --project: the plan to hold to the budget (default: the cheapest)")
    parser.add_argument("--bound", choices=["low", "expected", "high"], default="high",
                        help="with --project: which estimate to hold to the budget (default: high)")
    parser.add_argument("--model")
    parser.add_argument("--input-tokens", type=int)
    parser.add_argument("--output-tokens", type=int)
    parser.add_argument("--cached-input-tokens", type=int, default=0)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--retry-factor", default="1")
    parser.add_argument("--at", help="price at this instant or date (default: now)")
    parser.add_argument("--max-usd", required=True, help="the budget, e.g. 25.00")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the pricing-api service")


def run(args: argparse.Namespace) -> int:
    try:
        budget = Decimal(args.max_usd)
    except InvalidOperation:
        print(f"pricing-api quote: --max-usd must be a decimal amount, got {args.max_usd!r}", file=sys.stderr)
        return 2
    if args.project:
        return project_gate.run(args, budget)
    if args.model is None or args.input_tokens is None or args.output_tokens is None:
        print("pricing-api quote: give --project FILE, or --model, --input-tokens and --output-tokens",
              file=sys.stderr)
        return 2
    request = {"model": args.model, "input_tokens": args.input_tokens, "output_tokens": args.output_tokens,
               "cached_input_tokens": args.cached_input_tokens, "sessions": args.sessions,
               "retry_factor": args.retry_factor, **({"at": args.at} if args.at else {})}
    try:
        # The Idempotency-Key makes a retried CI step get the same quote rather than a second one.
        response = httpx.post(f"{args.url.rstrip('/')}/v1/quotes", json={"kind": "estimate", "request": request},
                              headers={"Idempotency-Key": f"budget-gate-{uuid.uuid4()}"}, timeout=30)
    except httpx.HTTPError as exc:
        print(f"pricing-api quote: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    if response.status_code != 201:
        detail = response.json().get("detail") if response.headers.get("content-type", "").startswith(
            "application/problem+json") else response.text[:200]
        print(f"pricing-api quote: the service refused the quote ({response.status_code}): {detail}", file=sys.stderr)
        return 2
    quote = response.json()
    total = Decimal(quote["result"]["cost"]["total"])
    print(f"quote {quote['id']}: {args.model} costs {quote['result']['cost']['total']} USD "
          f"for {args.sessions} session(s); budget {args.max_usd} USD")
    if total > budget:
        print(f"over budget by {total - budget} USD", file=sys.stderr)
        return 1
    return 0
