"""Read an inbound 997/999 set into a :class:`AckedGroup` document (``type: functional_ack``).

A 997 or 999 is not a business document a partner shapes with its own mapping: X12.6 fixes
its structure, so it is read here rather than through a YAML mapping, after the set passed
validation against its schema (``edi/x12/schemas/997.yaml``, ``999.yaml``): the group it
answers (AK1), a verdict per set (AK2 with AK5/IK5) and the group verdict (AK9).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from edi.canonical.base import Document, Envelope
from edi.errors import EdiError
from edi.x12.model import Segment, TransactionSet

FUNCTIONAL_ACK_SETS = frozenset({"997", "999"})
SET_VERDICTS = frozenset({"AK5", "IK5"})  # either is read in either set: partners mix them up


class AckedSet(BaseModel):
    """AK2 + AK5/IK5: the partner's verdict on one of our transaction sets."""

    model_config = ConfigDict(extra="forbid")

    set_id: str  # AK201
    set_control: str  # AK202
    code: str  # AK501 / IK501: A, E, M, R, W, X
    error_codes: list[str] = []  # AK502-AK506 / IK502-IK506


class AckedGroup(Document):
    """One 997/999 set: the verdicts on one functional group we sent."""

    type: Literal["functional_ack"] = "functional_ack"
    partner: str | None = None
    envelope: Envelope
    ack_kind: str  # "997" | "999"
    functional_id: str  # AK101: GS01 of our group
    group_control: str  # AK102: GS06 of our group
    code: str | None = None  # AK901: A, E, P, R (None when the AK9 carries none)
    error_codes: list[str] = []  # AK905-AK909
    sets: list[AckedSet] = []


def _element(segment: Segment, position: int) -> str:
    return segment[position].strip() if len(segment) > position else ""


def _codes(segment: Segment, first: int, last: int) -> list[str]:
    return [value for p in range(first, last + 1) if (value := _element(segment, p))]


def read_functional_ack(tx: TransactionSet) -> AckedGroup | EdiError:
    """The :class:`AckedGroup` of a schema-valid 997/999 set, or the coded error that keeps it from being read."""
    ak1 = next((s for s in tx.segments if s[0] == "AK1"), None)
    if ak1 is None or not _element(ak1, 1) or not _element(ak1, 2):
        return EdiError("MAP_REQUIRED_MISSING", f"{tx.id} {tx.control_number}: AK1 names no group "
                        "(AK101 functional id and AK102 group control number)", segment_id="AK1")
    sets: list[AckedSet] = []
    current: Segment | None = None
    group_code: str | None = None
    group_errors: list[str] = []
    for segment in tx.segments:
        if segment[0] == "AK2":
            current = segment
        elif segment[0] in SET_VERDICTS and current is not None:
            sets.append(AckedSet(set_id=_element(current, 1), set_control=_element(current, 2),
                                 code=_element(segment, 1), error_codes=_codes(segment, 2, 6)))
            current = None
        elif segment[0] == "AK9":
            group_code = _element(segment, 1) or None
            group_errors = _codes(segment, 5, 9)
    group = tx.group
    isa = group.interchange
    envelope = Envelope(interchange_control_number=isa.control_number, group_control_number=group.control_number,
                        set_control_number=tx.control_number,
                        sender_id=f"{isa.sender_qualifier}:{isa.sender_id}",
                        receiver_id=f"{isa.receiver_qualifier}:{isa.receiver_id}", version=group.version)
    return AckedGroup(envelope=envelope, ack_kind=tx.id, functional_id=_element(ak1, 1),
                      group_control=_element(ak1, 2), code=group_code, error_codes=group_errors, sets=sets)
