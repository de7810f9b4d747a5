"""erp_core service functions: each takes a ``Session`` and leaves committing to the caller."""
