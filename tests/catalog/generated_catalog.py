"""A generated catalog at the scale the lists must serve: 10,000 models of 100 providers, 5 price periods each.

Inserted with plain SQL in one transaction, the change-log and only-grow triggers off meanwhile (a log entry a row
would take most of the time) and prices' exclusion and foreign key checked once afterwards; then VACUUM ANALYZEd, so
that the planner sees the tables as it would once autovacuum had been by.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

MODELS = 10_000
PROVIDERS = 100
PERIODS = 5
RARE_WORD = "nebula"  # in one model name in a hundred
TABLES = ("providers", "models", "prices", "promotions")
CHECKED_AFTERWARDS = ("prices_no_overlap", "prices_model_id_fkey")

_INSERTS = [
    f"""INSERT INTO providers (id, name)
        SELECT format('gen-p%s', lpad(n::text, 3, '0')), format('Generated provider %s', n)
        FROM generate_series(0, {PROVIDERS - 1}) n""",
    f"""INSERT INTO models (id, provider_id, name, context_window)
        SELECT format('gen-m%s', lpad(n::text, 5, '0')), format('gen-p%s', lpad((n % {PROVIDERS})::text, 3, '0')),
               format('Generated model %s%s', n, CASE WHEN n % 100 = 7 THEN ' {RARE_WORD.title()}' ELSE '' END),
               128000
        FROM generate_series(0, {MODELS - 1}) n""",
    # Quarterly periods from early 2025, the last one open; each model's start a few days apart from the next's.
    f"""INSERT INTO prices (model_id, valid_from, valid_to, input_per_mtok, output_per_mtok, source)
        SELECT format('gen-m%s', lpad(n::text, 5, '0')),
               timestamptz '2025-01-01 00:00Z' + make_interval(days => k * 90 + n % 7),
               CASE WHEN k < {PERIODS - 1}
                    THEN timestamptz '2025-01-01 00:00Z' + make_interval(days => (k + 1) * 90 + n % 7) END,
               1 + k, 4 + k, 'generated'
        FROM generate_series(0, {MODELS - 1}) n, generate_series(0, {PERIODS - 1}) k""",
    # A promotion for one model in four: in March 2025 for half of them, open-ended from 2026 for the others.
    f"""INSERT INTO promotions (model_id, name, percent_off, valid_from, valid_to, source)
        SELECT format('gen-m%s', lpad(n::text, 5, '0')), format('Generated sale %s', n), 10,
               CASE WHEN n % 8 = 0 THEN timestamptz '2025-03-01 00:00Z' ELSE timestamptz '2026-01-01 00:00Z' END,
               CASE WHEN n % 8 = 0 THEN timestamptz '2025-04-01 00:00Z' END, 'generated'
        FROM generate_series(0, {MODELS - 1}, 4) n""",
]


async def generate(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for table in TABLES:
            await connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # Checked once for all the rows rather than row by row (a GiST insert and a key lookup each): the same
        # constraints, as the migrations defined them.
        definitions = {}
        for name in CHECKED_AFTERWARDS:
            found = await connection.exec_driver_sql(
                f"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{name}'")
            definitions[name] = found.scalar_one()
            await connection.exec_driver_sql(f"ALTER TABLE prices DROP CONSTRAINT {name}")
        for insert in _INSERTS:
            await connection.exec_driver_sql(insert)
        for name, definition in definitions.items():
            await connection.exec_driver_sql(f"ALTER TABLE prices ADD CONSTRAINT {name} {definition}")
        for table in TABLES:
            await connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    # What autovacuum would have done by now: statistics, and the GIN indexes' pending entries merged.
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE " + ", ".join(TABLES))
