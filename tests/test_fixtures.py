"""The suite's clients lend the session's one app their database objects, and take them back after each test.

pytest runs a file's tests in order: the last test here sees the app after two tests that used clients.
"""

from __future__ import annotations

from service.http.app import create_app


async def test_a_client_lends_the_app_the_rolled_back_database(client, app, engine, snapshot_keeper):
    assert app.state.engine is engine and app.state.snapshot_keeper is snapshot_keeper
    assert (await client.get("/health/ready")).status_code == 200


async def test_a_committed_client_lends_the_app_the_committed_database(committed_client, app, committed_engine):
    assert app.state.engine is committed_engine
    assert (await committed_client.get("/health/ready")).status_code == 200


def test_after_those_tests_the_app_has_only_the_state_create_app_gave_it(app):
    fresh = create_app(app.state.settings)
    assert dict(app.state).keys() == dict(fresh.state).keys()
    assert not {"engine", "sessionmaker", "snapshot_keeper"} & dict(app.state).keys()
