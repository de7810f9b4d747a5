"""Semantic checks of the ISA's fixed fields, each failure with its TA1 note code.

The reader only finds the ISA and its delimiters; whether an interchange may be
processed also depends on what its fields say (a valid date, a numeric control
number, a known test indicator). Real senders pad IDs loosely, so lengths are
checked after stripping, while digits and codes are checked strictly.
"""

from __future__ import annotations

import re
from datetime import datetime

from edi.errors import EdiError
from edi.x12.model import InterchangeHeader

_QUALIFIER = re.compile(r"^[A-Z0-9]{2}$")


def _valid(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def check_isa_fields(header: InterchangeHeader) -> list[EdiError]:
    """The coded problems of an ISA's fields; empty when the interchange may be processed."""
    seg = header.segment
    checks = (
        ("ISA_SENDER_QUAL", 5, bool(_QUALIFIER.match(header.sender_qualifier)), "sender qualifier (ISA05)"),
        ("ISA_SENDER_ID", 6, 0 < len(header.sender_id) <= 15, "sender ID (ISA06)"),
        ("ISA_RECEIVER_QUAL", 7, bool(_QUALIFIER.match(header.receiver_qualifier)), "receiver qualifier (ISA07)"),
        ("ISA_DATE", 9, len(header.date) == 6 and _valid("%y%m%d", header.date), "date (ISA09, YYMMDD)"),
        ("ISA_TIME", 10, len(header.time) == 4 and _valid("%H%M", header.time), "time (ISA10, HHMM)"),
        ("ISA_VERSION", 12, len(header.version) == 5 and header.version.isdigit(), "version (ISA12)"),
        ("ISA_CONTROL_NUMBER", 13, header.control_number.isdigit() and len(header.control_number) <= 9,
         "control number (ISA13, up to 9 digits)"),
        ("ISA_ACK_REQUESTED", 14, header.ack_requested in {"0", "1"}, "acknowledgment requested (ISA14, 0 or 1)"),
        ("ISA_USAGE", 15, header.usage in {"P", "T", "I"}, "usage indicator (ISA15, P, T or I)"),
    )
    return [EdiError(code, f"invalid interchange {what}: {seg[position]!r}", segment_id="ISA",
                     element_position=position, bad_value=seg[position], offset=header.offset)
            for code, position, ok, what in checks if not ok]
