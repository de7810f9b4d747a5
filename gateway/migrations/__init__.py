"""Alembic chain of the ledger tables (version table alembic_version_gateway)."""
