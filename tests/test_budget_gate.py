"""`pricing-api quote`, the CI budget gate, against a real running service."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "service.cli", "quote"]
SESSION = ["--model", "deepseek-v4-flash", "--input-tokens", "50000", "--output-tokens", "20000",
           "--at", "2026-05-10"]


@pytest.fixture(scope="module")
def service_url(served_url: str) -> str:
    return served_url


def quote(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--url", url, *args], capture_output=True, text=True, timeout=60)


def test_a_quote_within_budget_passes_and_prints_its_id_and_cost(service_url):
    result = quote(service_url, *SESSION, "--sessions", "1000", "--max-usd", "12.60")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("quote q_") and "costs 12.6 USD" in result.stdout
    quote_id = result.stdout.split()[1].rstrip(":")
    stored = httpx.get(f"{service_url}/v1/quotes/{quote_id}").json()
    assert stored["result"]["cost"]["total"] == "12.6"


def test_a_quote_over_budget_fails_the_build(service_url):
    result = quote(service_url, *SESSION, "--sessions", "1000", "--max-usd", "12.59")
    assert result.returncode == 1
    assert "over budget by 0.01 USD" in result.stderr


def test_a_quote_the_service_refuses_or_cannot_give_is_exit_2(service_url):
    refused = quote(service_url, "--model", "gpt-9", "--input-tokens", "1", "--output-tokens", "1", "--max-usd", "1")
    assert refused.returncode == 2 and "gpt-9" in refused.stderr
    unreachable = quote("http://127.0.0.1:1", *SESSION, "--max-usd", "1")
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr


def test_the_example_ci_job_passes_its_budget_on_the_seed_catalog(service_url):
    # The example's command line, as a CI runner would run it, against today's seed prices.
    example = (Path(__file__).resolve().parents[1] / "examples" / "ci-budget-gate.yml").read_text()
    command = re.search(r"pricing-api quote --url \"\$PRICING_API_URL\"\n(.*?)\n\s*env:", example, re.S).group(1)
    result = quote(service_url, *command.split())
    assert result.returncode == 0, result.stdout + result.stderr
