"""Browsers on other origins may call estimates and catalog reads; writes, quotes and feeds stay closed."""

from __future__ import annotations

ORIGIN = {"Origin": "https://app.example"}


async def test_a_preflight_for_an_estimate_from_another_origin_is_allowed(client):
    response = await client.options("/v1/estimate", headers={
        **ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_catalog_reads_carry_cors_headers(client):
    response = await client.get("/v1/models", headers=ORIGIN)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers["access-control-expose-headers"]


async def test_writes_are_not_opened_to_browsers(client):
    preflight = await client.options("/v1/models", headers={**ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    write = await client.post("/v1/providers", json={}, headers=ORIGIN)
    assert "access-control-allow-origin" not in write.headers
    quote = await client.options("/v1/quotes", headers={**ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in quote.headers


async def test_an_allow_list_admits_only_its_origins(database_url, engine, snapshot_keeper):
    import httpx

    from service.db.engine import make_sessionmaker
    from service.http.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=database_url, cors_allow_origins=("https://app.example",)))
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    app.state.snapshot_keeper = snapshot_keeper
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        allowed = await client.get("/v1/models", headers=ORIGIN)
        other = await client.get("/v1/models", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_a_plain_options_lists_every_method_of_the_path(client):
    response = await client.options("/v1/models/gpt-4.1")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    assert (await client.options("/v1/estimate")).headers["allow"] == "GET, OPTIONS, POST"
    assert (await client.options("/v1/nothing")).status_code == 404
