"""Operational errors of the gateway, each with the CLI exit code it maps to.

Errors in inbound *data* are :class:`edi.errors.EdiError` and end in the ledger; the
classes here are for the operator: bad configuration, a missing message, a refused file.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of operator-facing errors; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class ConfigError(GatewayError):
    exit_code = 3


class NotFoundError(GatewayError):
    exit_code = 4


class InputRejected(GatewayError):
    """A file or interchange was refused; the ledger holds the coded details."""

    exit_code = 1
