"""The Dockerfile and docker-compose.yml, run: no Docker engine exists on these machines, so the commands they start
are run directly, translated to the venv's programs, against a fresh database on the suite's PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
import yaml

from service.db import migrations
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            logical.append(pending)
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


def _argv(form: str) -> list[str]:
    """A CMD in exec form (a JSON list) or shell form."""
    return json.loads(form) if form.startswith("[") else shlex.split(form)


def _image() -> dict:
    image: dict = {"copy": [], "env": {}, "entrypoint": [], "cmd": None, "healthcheck": None}
    for instruction, arguments in _instructions():
        if instruction == "COPY":
            *sources, destination = shlex.split(arguments)
            image["copy"].append((sources, destination))
        elif instruction == "ENV":
            image["env"].update(part.split("=", 1) for part in shlex.split(arguments))
        elif instruction in {"WORKDIR", "EXPOSE"}:
            image[instruction.lower()] = arguments
        elif instruction == "ENTRYPOINT":
            image["entrypoint"] = _argv(arguments)
        elif instruction == "CMD":
            image["cmd"] = _argv(arguments)
        elif instruction == "HEALTHCHECK":
            image["healthcheck"] = _argv(arguments.split(" CMD ", 1)[1])
    return image


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _translated(argv: list[str], container_port: str, port: int) -> list[str]:
    """The container's programs are the venv's; it listens on all interfaces at `container_port`, here on
    127.0.0.1 at a free port."""
    program = sys.executable if argv[0] == "python" else str(Path(sys.executable).with_name(argv[0]))
    assert Path(program).exists(), f"{argv[0]} is not a program the package installs"
    translated = [program]
    for previous, arg in pairwise(argv):
        if previous == "--host":
            arg = "127.0.0.1"
        elif previous == "--port":
            assert arg == container_port, "the command listens on another port than the image exposes"
            arg = str(port)
        translated.append(arg.replace(f"127.0.0.1:{container_port}", f"127.0.0.1:{port}"))
    return translated


def _laid_out_as_the_image(image: dict, where: Path) -> Path:
    """The image's work directory: exactly what its COPY instructions put there, nothing else from the checkout."""
    workdir = where / image["workdir"].strip("/")
    workdir.mkdir(parents=True)
    for sources, destination in image["copy"]:
        for source in sources:
            target = workdir / destination / Path(source).name if destination.endswith("/") else workdir / destination
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(ROOT / source, target)
    return workdir


def _health_check(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=30).returncode


@contextmanager
def _running(argv: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` in a process group of its own (uvicorn's workers included) until ready, and end it after."""
    log = cwd / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{shlex.join(argv)} never became ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _serves_migrated_and_seeded(argv: list[str], env: dict[str, str], health_check: list[str], image: dict,
                                where: Path, database_url: str) -> None:
    """What a deployment needs of its command: on an empty database it migrates, loads the seed and serves, and
    the health check fails before it is up and passes once it is."""
    workdir = _laid_out_as_the_image(image, where)
    # The image installs its work directory with `pip install -e .`: here the copy comes first on the path.
    env = {**os.environ, **env, "PYTHONPATH": str(workdir)}
    port = _free_port()
    argv, health_check = (_translated(command, image["expose"], port) for command in (argv, health_check))
    assert _health_check(health_check, workdir, env) != 0, "the health check passes with nothing serving"
    assert asyncio.run(migrations.current_revision(database_url)) is None
    with _running(argv, workdir, env, port):
        assert asyncio.run(migrations.current_revision(database_url)) == migrations.head_revision()
        price = httpx.get(f"http://127.0.0.1:{port}/v1/models/deepseek-v4-flash/price", params={"at": "2026-04-30"})
        assert price.status_code == 200 and price.json()["effective"]["input_per_mtok"] == "0.035"
        assert _health_check(health_check, workdir, env) == 0


def test_the_image_command_migrates_an_empty_database_and_serves_ready(make_database, tmp_path):
    image = _image()
    argv = image["entrypoint"] + image["cmd"]
    env = {**image["env"], "DATABASE_URL": make_database()}
    _serves_migrated_and_seeded(argv, env, image["healthcheck"], image, tmp_path, env["DATABASE_URL"])


def test_the_compose_api_command_migrates_and_serves_ready_with_its_workers_and_redis(make_database, tmp_path):
    api = _compose()["services"]["api"]
    image = _image()
    # The compose network's names become the suite's own services.
    env = {**image["env"], **api["environment"], "DATABASE_URL": make_database(), "REDIS_URL": REDIS_URL}
    argv = image["entrypoint"] + api["command"]
    health_check = api["healthcheck"]["test"][1:]  # after "CMD"
    assert api["healthcheck"]["test"][0] == "CMD"
    _serves_migrated_and_seeded(argv, env, health_check, image, tmp_path, env["DATABASE_URL"])


def test_compose_runs_postgres_18_with_a_health_check_and_the_api_after_it():
    compose = _compose()
    postgres, api = compose["services"]["postgres"], compose["services"]["api"]
    assert postgres["image"].startswith("postgres:18")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert api["build"] == "."
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in api["environment"]["DATABASE_URL"]


def test_compose_shares_rate_limits_between_workers_through_redis():
    compose = _compose()
    api = compose["services"]["api"]
    assert compose["services"]["redis"]["image"].startswith("redis:")
    assert "redis-cli" in " ".join(compose["services"]["redis"]["healthcheck"]["test"])
    assert api["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_scale_profile_runs_a_streaming_replica_pgbouncer_and_an_api_wired_to_both():
    services = _compose()["services"]
    assert [name for name, s in services.items() if "profiles" not in s] == ["postgres", "redis", "api"]
    scale = {name for name, s in services.items() if s.get("profiles") == ["scale"]}
    assert scale == {"postgres-replica", "pgbouncer", "api-scale"}
    replica, bouncer, api = services["postgres-replica"], services["pgbouncer"], services["api-scale"]
    script = replica["command"][0]
    assert "pg_basebackup -h postgres " in script and " -R " in script and "exec postgres" in script
    assert replica["image"] == services["postgres"]["image"]
    allow = "./deploy/allow-replication.sh:/docker-entrypoint-initdb.d/allow-replication.sh:ro"
    assert allow in services["postgres"]["volumes"]
    assert "host replication all all" in (ROOT / "deploy" / "allow-replication.sh").read_text()
    assert bouncer["environment"]["POOL_MODE"] == "transaction"
    settings = Settings.from_env(api["environment"])
    assert settings.database_pool_mode == "transaction"
    assert "@pgbouncer:5432/" in (settings.database_url or "")
    assert "@postgres:5432/" in (settings.database_listen_url or "")
    assert [url.split("@")[1] for url in settings.database_replica_urls] == ["postgres-replica:5432/pricing"]
    assert {name: d["condition"] for name, d in api["depends_on"].items()} == {
        "pgbouncer": "service_healthy", "postgres-replica": "service_healthy", "redis": "service_healthy"}
