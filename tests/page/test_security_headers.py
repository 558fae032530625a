"""/schema serves its UI from this origin under a Content-Security-Policy, and every HTML answer carries the usual
security headers (issue 15, item 18)."""

from __future__ import annotations

import re

import pytest


async def test_the_api_reference_loads_nothing_from_other_origins_and_no_inline_script(client):
    page = await client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "cdn" not in html.lower() and "@latest" not in html and "//" not in re.sub(r"<!doctype[^>]*>", "", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") or source.startswith("data:") for source in sources), sources
    # Every script is a file (no inline code), and every file it names is served here.
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    for source in (s for s in sources if s.startswith("/")):
        asset = await client.get(source)
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff", source
    policy = page.headers["content-security-policy"]
    script_src = re.search(r"(?:script-src|default-src) ([^;]+)", policy).group(1).split()
    assert script_src == ["'self'"], policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", ["/", "/schema"])
async def test_every_html_answer_carries_the_security_headers(client, path):
    response = await client.get(path)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" in response.headers


async def test_json_answers_are_not_sniffed_either(client):
    assert (await client.get("/v1/providers")).headers["x-content-type-options"] == "nosniff"
