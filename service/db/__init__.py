"""Database access: engine, the per-request transaction, ORM models and the embedded server."""
