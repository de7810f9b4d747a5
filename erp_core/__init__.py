"""ERP core of EDI Pulse: partners, items, sales orders and their booking.

The package knows nothing about X12, the gateway or its ledger: callers hand it plain
input models (:mod:`erp_core.inputs`) and opaque references, so the same core can be
fed from EDI, CSV uploads or a UI. Service functions take a SQLAlchemy/SQLModel
``Session`` and never commit: the caller owns the transaction, which lets the gateway
book orders and record its own bookkeeping atomically.
"""
