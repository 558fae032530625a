"""The `pricing-api` command on a configured database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from service.catalog.default.document import decode, packaged_bytes
from service.cli.main import serve
from service.db import migrations
from service.settings import Settings

CLI = [sys.executable, "-m", "service.cli"]


async def _count(url: str, table: str) -> int:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        return await connection.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await connection.close()


def test_serve_migrates_and_loads_the_seed_before_it_serves_and_only_into_an_empty_catalog(make_database,
                                                                                             monkeypatch):
    url = make_database()
    monkeypatch.setenv("DATABASE_URL", url)  # serve exports it for its workers; monkeypatch undoes that after
    seen: list[tuple[str | None, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(
        (asyncio.run(migrations.current_revision(url)), asyncio.run(_count(url, "providers")))))
    serve(Settings(database_url=url, catalog="seed"), "127.0.0.1", 8000, 1)
    serve(Settings(database_url=url, catalog="seed"), "127.0.0.1", 8000, 1)
    assert seen == [(migrations.head_revision(), 3), (migrations.head_revision(), 3)]
    assert asyncio.run(_count(url, "prices")) == 6


def test_serve_loads_the_default_catalog_once_and_a_restart_with_the_same_file_loads_nothing(make_database,
                                                                                              monkeypatch, capsys):
    url = make_database()
    monkeypatch.setenv("DATABASE_URL", url)
    seen: list[tuple[int, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(
        (asyncio.run(_count(url, "models")), asyncio.run(_count(url, "catalog_loads")))))
    serve(Settings(database_url=url), "127.0.0.1", 8000, 1)  # CATALOG=default is what `make run` gets
    serve(Settings(database_url=url), "127.0.0.1", 8000, 1)
    offerings = len(decode(packaged_bytes()).offerings)
    assert seen == [(offerings, 1), (offerings, 1)]
    printed = capsys.readouterr().err
    assert f"default catalog loaded: {offerings} offerings" in printed
    assert "default catalog already loaded: nothing to do" in printed


def test_the_catalog_setting_is_default_or_seed():
    assert Settings.from_env({}).catalog == "default"
    assert Settings.from_env({"CATALOG": "seed"}).catalog == "seed"
    with pytest.raises(ValueError, match="CATALOG must be one of default, seed"):
        Settings.from_env({"CATALOG": "everything"})


def test_the_database_settings_default_to_one_direct_server_and_refuse_what_they_cannot_read():
    default = Settings.from_env({"DATABASE_URL": "postgresql+asyncpg://a@db/x"})
    assert (default.database_pool_mode, default.listen_url, default.database_replica_urls) == (
        "session", "postgresql+asyncpg://a@db/x", ())
    scaled = Settings.from_env({"DATABASE_URL": "postgresql+asyncpg://a@pooler/x", "DATABASE_POOL_MODE": "transaction",
                                "DATABASE_LISTEN_URL": "postgresql+asyncpg://a@db/x",
                                "DATABASE_REPLICA_URLS": "postgresql+asyncpg://a@r1/x, postgresql+asyncpg://a@r2/x",
                                "REPLICA_MAX_LAG": "2.5s", "REPLICA_TOKEN_WAIT": "0.5"})
    assert scaled.listen_url == "postgresql+asyncpg://a@db/x"
    assert scaled.database_replica_urls == ("postgresql+asyncpg://a@r1/x", "postgresql+asyncpg://a@r2/x")
    assert (scaled.replica_max_lag, scaled.replica_token_wait) == (2.5, 0.5)
    with pytest.raises(ValueError, match="DATABASE_POOL_MODE must be one of session, transaction"):
        Settings.from_env({"DATABASE_POOL_MODE": "statement"})
    with pytest.raises(ValueError, match="REPLICA_MAX_LAG: 'soon' is not a number of seconds"):
        Settings.from_env({"REPLICA_MAX_LAG": "soon"})


def test_db_and_keys_commands_work_on_database_url(make_database):
    url = make_database()
    env = {**os.environ, "DATABASE_URL": url}
    upgraded = subprocess.run([*CLI, "db", "upgrade"], capture_output=True, text=True, env=env, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == migrations.head_revision()

    created = subprocess.run([*CLI, "keys", "create", "--name", "bot", "--scope", "feeds:read"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert created.returncode == 0 and created.stdout.startswith("pk_")
    listed = subprocess.run([*CLI, "keys", "list"], capture_output=True, text=True, env=env, timeout=120)
    key_id = listed.stdout.split("\t")[0]
    assert created.stdout.strip() not in listed.stdout  # only the hash is stored; the list shows a prefix
    revoked = subprocess.run([*CLI, "keys", "revoke", key_id], capture_output=True, text=True, env=env, timeout=120)
    assert revoked.returncode == 0
    listed = subprocess.run([*CLI, "keys", "list"], capture_output=True, text=True, env=env, timeout=120)
    assert "\trevoked " in listed.stdout


def test_openapi_command_prints_the_committed_spec():
    from pathlib import Path

    printed = subprocess.run([*CLI, "openapi"], capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0
    committed = (Path(__file__).resolve().parents[1] / "openapi" / "openapi.json").read_text()
    assert printed.stdout == committed
