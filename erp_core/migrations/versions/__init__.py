"""erp_core revisions."""
