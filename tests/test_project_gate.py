"""`pricing-api quote --project FILE.toml`, the CI budget gate for a whole project, against a real service."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "service.cli", "quote"]
EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "project.toml")
ONE_SIMPLE_FEATURE = """
at = "2026-05-10"
models = ["deepseek-v4-flash", "gpt-5.5"]
[project]
size = "small"
features = 1000
tooling = "chat"
mix = { simple = 1 }
"""


@pytest.fixture(scope="module")
def service_url(served_url: str) -> str:
    return served_url


def quote(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--url", url, *args], capture_output=True, text=True, timeout=60)


def test_a_thousand_simple_features_on_v4_flash_cost_the_articles_12_60_and_pass_that_budget(service_url, tmp_path):
    project = tmp_path / "p.toml"
    project.write_text(ONE_SIMPLE_FEATURE)
    result = quote(service_url, "--project", str(project), "--max-usd", "12.60")
    assert result.returncode == 0, result.stderr
    assert "plan deepseek-v4-flash costs 12.6 USD" in result.stdout
    quote_id = result.stdout.split()[1].rstrip(":")
    stored = httpx.get(f"{service_url}/v1/quotes/{quote_id}").json()
    assert stored["kind"] == "project" and stored["result"]["plans"][0]["cost"]["high"] == "12.6"
    over = quote(service_url, "--project", str(project), "--max-usd", "12.59")
    assert over.returncode == 1 and "over budget by 0.01 USD" in over.stderr


def test_a_named_plan_and_bound_are_held_to_the_budget(service_url, tmp_path):
    project = tmp_path / "p.toml"
    project.write_text(ONE_SIMPLE_FEATURE)
    result = quote(service_url, "--project", str(project), "--plan", "gpt-5.5", "--bound", "low", "--max-usd", "900")
    assert result.returncode == 0 and "gpt-5.5 costs 850 USD" in result.stdout  # the article's $850


def test_the_example_project_quotes_every_plan_and_gates_the_cheapest(service_url):
    result = quote(service_url, "--project", EXAMPLE, "--max-usd", "1000")
    assert result.returncode == 0, result.stderr
    cost = Decimal(result.stdout.split(" costs ")[1].split()[0])
    assert Decimal(0) < cost < Decimal(1000)


def test_a_bad_project_file_is_exit_2_naming_the_field(service_url, tmp_path):
    project = tmp_path / "p.toml"
    project.write_text(ONE_SIMPLE_FEATURE.replace('tooling = "chat"', 'tooling = "typewriter"'))
    result = quote(service_url, "--project", str(project), "--max-usd", "1")
    assert result.returncode == 2 and "project.tooling" in result.stderr
    missing = quote(service_url, "--project", str(tmp_path / "none.toml"), "--max-usd", "1")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
