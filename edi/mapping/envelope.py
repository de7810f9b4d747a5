"""The envelope part of a canonical document: control numbers and parties from ISA/GS/ST.

The engine fills it, never a mapping; both back-ends take it from here.
"""

from __future__ import annotations

from typing import Any

from edi.canonical import Envelope
from edi.mapping.construct import construct
from edi.x12.model import TransactionSet


def envelope_of(tx: TransactionSet) -> dict[str, str]:
    """The envelope as the reference path hands it to validation."""
    isa = tx.interchange
    return {
        "interchange_control_number": isa.control_number,
        "group_control_number": tx.group.control_number,
        "set_control_number": tx.control_number,
        "sender_id": f"{isa.sender_qualifier}:{isa.sender_id}",
        "receiver_id": f"{isa.receiver_qualifier}:{isa.receiver_id}",
        "version": tx.group.version,
    }


def envelope_model(tx: TransactionSet) -> Any:
    """The envelope model, as validating :func:`envelope_of` gives it (every value is already a str)."""
    values = envelope_of(tx)
    return construct(Envelope, values, set(values))
