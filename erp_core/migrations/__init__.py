"""erp_core migration chain (Alembic script directory; a package so it ships in wheels)."""
