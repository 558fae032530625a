"""The `pricing-api` command: serve, migrate, manage API keys and print the OpenAPI spec."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from service.settings import Settings


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded server (the running one, or our own for the duration)."""
    if settings.database_url:
        yield settings.database_url
        return
    from service.db.embedded import embedded_database

    with embedded_database(settings.data_dir) as url:
        yield url


def direct_url(settings: Settings, url: str) -> str:
    """Where migrations, catalog loads and the other one-off commands connect: DATABASE_LISTEN_URL when set, a
    direct connection (Alembic and bulk loads need no pooler in the way), else `url`."""
    return settings.database_listen_url or url


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from service.db import migrations
    from service.http.observability import configure_logging

    configure_logging(settings.log_level)  # the parent's lines (migrations, uvicorn's supervisor) are JSON too
    with database_url(settings) as url:
        migrations.upgrade(direct_url(settings, url))
        if settings.load_seed:
            logging.getLogger("service.cli").info(asyncio.run(load_catalog(direct_url(settings, url),
                                                                           settings.catalog)))
        os.environ["DATABASE_URL"] = url  # the workers build their app from the environment
        uvicorn.run("service.http.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                    **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for `serve` (tests run their servers with them too)."""
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told not to; the app reads forwarded headers itself,
    # from TRUSTED_PROXIES only (service.http.forwarded).
    # uvicorn's log config would give its loggers plain-text handlers of their own: none, so that every line
    # goes through the app's JSON handler (service.http.observability), and no access log of uvicorn's, which
    # knows no request id (service.http.front writes one).
    from service.http.server import GuardedHttpToolsProtocol

    # The protocol bounds header size and the time to send a request (service/http/server.py); uvicorn's own
    # settings bound idle keep-alive time and the connections of a process.
    return {"log_level": settings.log_level.lower(), "proxy_headers": False, "log_config": None,
            "access_log": False, "http": GuardedHttpToolsProtocol,
            "timeout_keep_alive": settings.http_keepalive_timeout,
            "limit_concurrency": settings.http_max_connections}


async def load_catalog(url: str, catalog: str) -> str:
    """The default catalog (unless this file is already loaded), or the seed into an empty catalog; what was done."""
    from service.catalog.assumption_seed import load_assumptions_if_empty
    from service.catalog.default.load import load_default_catalog
    from service.catalog.seed import load_seed_if_empty
    from service.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # Apart from the catalog's: a catalog loaded before assumptions existed gets them too.
            await load_assumptions_if_empty(session)
            if catalog == "default":
                outcome = await load_default_catalog(session)
                for line in outcome.refused:
                    print(f"! {line}", file=sys.stderr)
                return outcome.summary()
            loaded = await load_seed_if_empty(session)
            return "seed catalog loaded" if loaded else "catalog already has data: seed not loaded"
    finally:
        await engine.dispose()


def db_command(settings: Settings, action: str, revision: str | None) -> None:
    from service.db import migrations

    with database_url(settings) as pooled:
        url = direct_url(settings, pooled)
        if action == "upgrade":
            migrations.upgrade(url, revision or "head")
        elif action == "downgrade":
            migrations.downgrade(url, revision or "-1")
        print(asyncio.run(migrations.current_revision(url)) or "base")


async def _keys(url: str, args: argparse.Namespace) -> int:
    from service.auth import keys
    from service.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if args.keys_action == "create":
                try:
                    _, secret = await keys.create_key(session, args.name, args.scope)
                except ValueError as exc:
                    print(f"pricing-api: {exc}", file=sys.stderr)
                    return 2
                print(secret)
            elif args.keys_action == "list":
                for key in await keys.list_keys(session):
                    state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
                    print(f"{key.id}\t{key.prefix}…\t{key.name}\t{','.join(key.scopes)}\t{state}")
            elif await keys.revoke_key(session, args.id) is None:
                print(f"pricing-api: no key with id {args.id}", file=sys.stderr)
                return 1
        return 0
    finally:
        await engine.dispose()


def keys_command(settings: Settings, args: argparse.Namespace) -> int:
    from service.db import migrations

    with database_url(settings) as pooled:
        url = direct_url(settings, pooled)
        migrations.upgrade(url)
        return asyncio.run(_keys(url, args))


def openapi_document() -> str:
    """The spec exactly as the app serves it at /schema/openapi.json, pretty-printed for review."""
    from litestar.testing import TestClient

    from service.http.app import create_app

    # Without `with`, the client skips the app's startup, so no database is needed to ask for the spec.
    app = create_app(Settings(database_url="postgresql+asyncpg://unused@127.0.0.1:1/openapi"))
    response = TestClient(app).get("/schema/openapi.json")
    response.raise_for_status()
    served = response.json()
    return json.dumps(served, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pricing-api", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="migrate, load the catalog (CATALOG: default or seed), serve")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)

    db = commands.add_parser("db", help="migrations on the configured database")
    db_actions = db.add_subparsers(dest="db_action", required=True)
    db_actions.add_parser("upgrade").add_argument("revision", nargs="?", default="head")
    db_actions.add_parser("downgrade").add_argument("revision")
    db_actions.add_parser("current")

    keys = commands.add_parser("keys", help="API keys")
    key_actions = keys.add_subparsers(dest="keys_action", required=True)
    create = key_actions.add_parser("create", help="print a new key once; only its hash is stored")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", required=True,
                        choices=["catalog:write", "catalog:correct", "feeds:read", "webhooks:manage"])
    key_actions.add_parser("list")
    key_actions.add_parser("revoke").add_argument("id", type=int)

    hooks = commands.add_parser("webhooks", help="webhook delivery")
    hooks.add_subparsers(dest="webhooks_action", required=True).add_parser(
        "deliver", help="run WEBHOOKS_DELIVERERS deliverers in this process until stopped (serve runs them too)")

    commands.add_parser("openapi", help="print the OpenAPI spec that openapi/openapi.json holds")

    from service.cli import catalog_commands as import_cli
    from service.cli.budget_gate import add_arguments

    add_arguments(commands.add_parser("quote", help="get a quote from a running service; exit 1 when over --max-usd"))
    import_cli.add_arguments(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        serve(settings, args.host, args.port, args.workers)
    elif args.command == "db":
        db_command(settings, args.db_action, getattr(args, "revision", None))
    elif args.command == "keys":
        return keys_command(settings, args)
    elif args.command == "openapi":
        sys.stdout.write(openapi_document())
    elif args.command == "catalog" and args.catalog_action == "build-default":
        from service.cli import default_catalog

        return default_catalog.run(args)  # files only: no database
    elif args.command == "catalog":
        from service.cli import catalog_commands as import_cli
        from service.db import migrations

        with database_url(settings) as pooled:
            url = direct_url(settings, pooled)
            migrations.upgrade(url)
            return asyncio.run(import_cli.run(url, args))
    elif args.command == "webhooks":
        from service.feeds.webhooks.pool import run_until_stopped

        with database_url(settings) as url:
            asyncio.run(run_until_stopped(url, settings.webhooks, listen_url=settings.database_listen_url,
                                          pool_mode=settings.database_pool_mode))
    elif args.command == "quote":
        from service.cli.budget_gate import run

        return run(args)
    return 0

