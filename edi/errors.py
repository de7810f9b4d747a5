"""Coded errors and the acknowledgement each one produces.

Every problem EDI Pulse can find in inbound data has a stable code declared here,
once, as data: its level (where in the interchange it sits) and the X12 codes it
puts into a TA1, 997 or 999. Code elsewhere raises or records an :class:`EdiError`
naming one of these codes; the acknowledgement builders read the ack codes from
the catalogue, never from ad-hoc literals.

Levels:
  file        the bytes are not an X12 interchange at all (no ack possible)
  interchange ISA/IEA problems -> TA1 (TA105 note code)
  group       GS/GE problems   -> AK9/AK905 (997 and 999)
  set         ST/SE problems   -> AK5/AK502 (997) or IK5/IK502 (999)
  segment     segment problems -> AK3/AK304 (997) or IK3/IK304 (999), set rejected
  element     element problems -> AK4/AK403 (997) or IK4/IK403 (999), set rejected
  document    the set is valid X12 but cannot be mapped or booked (business
              rejection: AK5*R with code 5 on the functional ack)
  gateway     operational refusal (unknown partner, duplicate) -> TA1 where a
              sender can be identified, else ledger only
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["file", "interchange", "group", "set", "segment", "element", "document", "gateway"]


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    level: Level
    title: str
    ta1: str | None = None  # TA105 interchange note code
    group_ak9: str | None = None  # AK905 / AK905 (999) functional group error code
    set_ak5: str | None = None  # AK502 / IK502 transaction set syntax error code
    segment_ak3: str | None = None  # AK304 / IK304 segment syntax error code
    element_ak4: str | None = None  # AK403 / IK403 data element syntax error code


_SPECS: tuple[ErrorSpec, ...] = (
    # -- file ------------------------------------------------------------------
    ErrorSpec("FILE_EMPTY", "file", "file is empty"),
    ErrorSpec("FILE_NOT_X12", "file", "bytes are not an X12 interchange (no ISA segment)"),
    ErrorSpec("FILE_ENCODING", "file", "bytes are not valid in the expected character encoding"),
    ErrorSpec("FILE_TOO_LARGE", "file", "file exceeds the configured size limit"),
    ErrorSpec("FILE_TRAILING_DATA", "file", "data after the last interchange is not an ISA segment"),
    ErrorSpec("FILE_UNKNOWN_FORMAT", "file", "bytes are not X12, EDIFACT, XML or CSV"),
    ErrorSpec("XML_MALFORMED", "file", "XML is not well-formed"),
    ErrorSpec("XML_ENTITY_FORBIDDEN", "file", "XML declares entities or uses XInclude; refused, never expanded or "
              "fetched"),
    ErrorSpec("XML_LIMIT_EXCEEDED", "file", "XML exceeds a parser limit (nesting depth, text node size)"),
    ErrorSpec("CSV_DELIMITER", "file", "CSV delimiter cannot be determined or is not the expected one"),
    ErrorSpec("CSV_HEADER", "file", "CSV header row is missing, blank or repeats a column name"),
    ErrorSpec("CSV_RAGGED_ROW", "file", "a CSV row has a different number of fields than the header"),
    ErrorSpec("CSV_QUOTING", "file", "a quoted CSV field is not closed or has stray characters after its quote"),
    # -- interchange (TA1 note codes, X12.5 I18) --------------------------------
    ErrorSpec("ISA_INVALID", "interchange", "ISA segment is malformed", ta1="024"),
    ErrorSpec("ISA_DELIMITERS", "interchange", "ISA delimiters are missing or ambiguous", ta1="026"),
    ErrorSpec("ISA_SENDER_QUAL", "interchange", "invalid interchange sender ID qualifier", ta1="005"),
    ErrorSpec("ISA_SENDER_ID", "interchange", "invalid interchange sender ID", ta1="006"),
    ErrorSpec("ISA_RECEIVER_QUAL", "interchange", "invalid interchange receiver ID qualifier", ta1="007"),
    ErrorSpec("ISA_RECEIVER_UNKNOWN", "interchange", "interchange is not addressed to us", ta1="008"),
    ErrorSpec("ISA_DATE", "interchange", "invalid interchange date", ta1="014"),
    ErrorSpec("ISA_TIME", "interchange", "invalid interchange time", ta1="015"),
    ErrorSpec("ISA_VERSION", "interchange", "unsupported interchange control version (ISA12)", ta1="017"),
    ErrorSpec("ISA_CONTROL_NUMBER", "interchange", "invalid interchange control number (ISA13)", ta1="018"),
    ErrorSpec("ISA_ACK_REQUESTED", "interchange", "invalid acknowledgment requested value (ISA14)", ta1="019"),
    ErrorSpec("ISA_USAGE", "interchange", "invalid test indicator (ISA15)", ta1="020"),
    ErrorSpec("IEA_MISSING", "interchange", "interchange is truncated: no IEA trailer", ta1="023"),
    ErrorSpec("IEA_CONTROL_MISMATCH", "interchange", "IEA02 does not match ISA13", ta1="001"),
    ErrorSpec("IEA_COUNT_MISMATCH", "interchange", "IEA01 does not match the number of groups", ta1="021"),
    ErrorSpec("ISA_UNEXPECTED_SEGMENT", "interchange", "segment outside a functional group", ta1="024"),
    # -- group (AK905) ------------------------------------------------------------
    ErrorSpec("GS_INVALID", "group", "GS segment is malformed", group_ak9="6"),
    ErrorSpec("GS_VERSION", "group", "functional group version not supported", group_ak9="2"),
    ErrorSpec("GS_FUNCTIONAL_ID", "group", "functional group not supported", group_ak9="1"),
    ErrorSpec("GE_MISSING", "group", "functional group trailer GE missing", group_ak9="3"),
    ErrorSpec("GE_CONTROL_MISMATCH", "group", "GE02 does not match GS06", group_ak9="4"),
    ErrorSpec("GE_COUNT_MISMATCH", "group", "GE01 does not match the number of transaction sets", group_ak9="5"),
    ErrorSpec("GS_CONTROL_NUMBER", "group", "group control number violates syntax", group_ak9="6"),
    ErrorSpec("GS_UNEXPECTED_SEGMENT", "group", "segment inside a functional group but outside a transaction set"),
    # -- transaction set (AK502 / IK502) ---------------------------------------------
    ErrorSpec("ST_NOT_SUPPORTED", "set", "transaction set not supported", set_ak5="1"),
    ErrorSpec("SE_MISSING", "set", "transaction set trailer SE missing", set_ak5="2"),
    ErrorSpec("SE_CONTROL_MISMATCH", "set", "SE02 does not match ST02", set_ak5="3"),
    ErrorSpec("SE_COUNT_MISMATCH", "set", "SE01 does not match the number of segments", set_ak5="4"),
    ErrorSpec("ST_INVALID_ID", "set", "missing or invalid transaction set identifier", set_ak5="6"),
    ErrorSpec("ST_CONTROL_NUMBER", "set", "missing or invalid transaction set control number", set_ak5="7"),
    ErrorSpec("ST_CONTROL_DUPLICATE", "set", "transaction set control number not unique within the functional group",
              set_ak5="23"),
    ErrorSpec("SET_TOO_LARGE", "set", "transaction set exceeds the configured size limit", set_ak5="5"),
    # -- segment (AK304 / IK304) --------------------------------------------------
    ErrorSpec("SEG_UNRECOGNIZED", "segment", "unrecognized segment ID", set_ak5="5", segment_ak3="1"),
    ErrorSpec("SEG_UNEXPECTED", "segment", "unexpected segment", set_ak5="5", segment_ak3="2"),
    ErrorSpec("SEG_MANDATORY_MISSING", "segment", "mandatory segment missing", set_ak5="5", segment_ak3="3"),
    ErrorSpec("SEG_LOOP_MAX", "segment", "loop occurs over maximum times", set_ak5="5", segment_ak3="4"),
    ErrorSpec("SEG_MAX_USE", "segment", "segment exceeds maximum use", set_ak5="5", segment_ak3="5"),
    ErrorSpec("SEG_NOT_IN_SET", "segment", "segment not in defined transaction set", set_ak5="5", segment_ak3="6"),
    ErrorSpec("SEG_OUT_OF_ORDER", "segment", "segment not in proper sequence", set_ak5="5", segment_ak3="7"),
    ErrorSpec("SEG_EMPTY", "segment", "empty segment", set_ak5="5", segment_ak3="8"),
    # -- element (AK403 / IK403) --------------------------------------------------
    ErrorSpec("ELEM_MANDATORY_MISSING", "element", "mandatory data element missing", set_ak5="5",
              segment_ak3="8", element_ak4="1"),
    ErrorSpec("ELEM_CONDITIONAL_MISSING", "element", "conditional required data element missing", set_ak5="5",
              segment_ak3="8", element_ak4="2"),
    ErrorSpec("ELEM_TOO_MANY", "element", "too many data elements", set_ak5="5", segment_ak3="8", element_ak4="3"),
    ErrorSpec("ELEM_TOO_SHORT", "element", "data element too short", set_ak5="5", segment_ak3="8", element_ak4="4"),
    ErrorSpec("ELEM_TOO_LONG", "element", "data element too long", set_ak5="5", segment_ak3="8", element_ak4="5"),
    ErrorSpec("ELEM_INVALID_CHAR", "element", "invalid character in data element", set_ak5="5", segment_ak3="8",
              element_ak4="6"),
    ErrorSpec("ELEM_INVALID_CODE", "element", "invalid code value", set_ak5="5", segment_ak3="8", element_ak4="7"),
    ErrorSpec("ELEM_INVALID_DATE", "element", "invalid date", set_ak5="5", segment_ak3="8", element_ak4="8"),
    ErrorSpec("ELEM_INVALID_TIME", "element", "invalid time", set_ak5="5", segment_ak3="8", element_ak4="9"),
    ErrorSpec("ELEM_INVALID_NUMBER", "element", "invalid numeric value", set_ak5="5", segment_ak3="8",
              element_ak4="6"),
    ErrorSpec("ELEM_EXCLUSION", "element", "exclusion condition violated", set_ak5="5", segment_ak3="8",
              element_ak4="10"),
    ErrorSpec("ELEM_TOO_MANY_REPEATS", "element", "too many repetitions of a data element", set_ak5="5",
              segment_ak3="8", element_ak4="12"),
    # -- document: mapping / business (set rejected with AK5*R*5) --------------------
    ErrorSpec("MAP_REQUIRED_MISSING", "document", "the mapping found no value for a required field", set_ak5="5"),
    ErrorSpec("MAP_INVALID_VALUE", "document", "a mapped value failed conversion or validation", set_ak5="5"),
    ErrorSpec("MAP_NO_MAPPING", "document", "no mapping for this transaction set and version", set_ak5="1"),
    ErrorSpec("BOOK_DUPLICATE_PO", "document", "purchase order already booked for this partner"),
    ErrorSpec("BOOK_FAILED", "document", "the order could not be booked", set_ak5="5"),
    ErrorSpec("FA_UNMATCHED", "document", "a 997/999 answers a group or set we never sent"),
    ErrorSpec("DOC_NOT_APPLICABLE", "document", "this document type is read but not applied to the ERP core",
              set_ak5="1"),
    ErrorSpec("CHANGE_ORDER_UNKNOWN", "document", "order change for an order that was never booked", set_ak5="5"),
    ErrorSpec("CHANGE_ORDER_CANCELLED", "document", "order change for a cancelled order", set_ak5="5"),
    ErrorSpec("CHANGE_LINE_UNKNOWN", "document", "order change names a line the order does not have", set_ak5="5"),
    ErrorSpec("CHANGE_LINE_EXISTS", "document", "order change adds a line the order already has", set_ak5="5"),
    ErrorSpec("CHANGE_BELOW_SHIPPED", "document", "order change would leave less than already shipped",
              set_ak5="5"),
    ErrorSpec("CHANGE_INVALID", "document", "order change values are not acceptable", set_ak5="5"),
    ErrorSpec("CHANGE_DUPLICATE", "document", "this order change was already applied"),
    ErrorSpec("CHANGE_ORDER_CLOSED", "document", "order change for an order that is closed", set_ak5="5"),
    ErrorSpec("CHANGE_LINE_CANCELLED", "document", "order change for a line that is cancelled", set_ak5="5"),
    ErrorSpec("CHANGE_LINE_AMBIGUOUS", "document", "order change names a line reference used twice", set_ak5="5"),
    ErrorSpec("FORECAST_PARTNER_UNKNOWN", "document", "forecast for a partner we do not know", set_ak5="5"),
    ErrorSpec("FORECAST_STALE", "document", "forecast issued before the one it would replace", set_ak5="5"),
    ErrorSpec("FORECAST_ITEM_UNKNOWN", "document", "forecast for an item we do not know", set_ak5="5"),
    ErrorSpec("FORECAST_INVALID", "document", "forecast buckets are inconsistent", set_ak5="5"),
    ErrorSpec("FORECAST_DUPLICATE", "document", "this forecast was already received"),
    ErrorSpec("BOM_REVISION_EXISTS", "document", "BOM revision exists with different content", set_ak5="5"),
    ErrorSpec("BOM_CYCLE", "document", "BOM contains its own assembly", set_ak5="5"),
    ErrorSpec("BOM_INVALID", "document", "BOM content is not acceptable", set_ak5="5"),
    ErrorSpec("BOM_EFFECTIVITY", "document", "BOM revision effective before the revision it replaces", set_ak5="5"),
    ErrorSpec("PAY_PARTNER_UNKNOWN", "document", "remittance from a partner we do not know", set_ak5="5"),
    ErrorSpec("PAY_AMOUNT_MISMATCH", "document", "remittance lines do not add up to the payment amount", set_ak5="5"),
    ErrorSpec("PAY_INVALID", "document", "remittance values are not acceptable (trace number, date, amounts)",
              set_ak5="5"),
    ErrorSpec("PAY_DUPLICATE", "document", "this remittance (partner and trace number) was already applied"),
    # -- gateway ---------------------------------------------------------------
    ErrorSpec("PARTNER_UNKNOWN", "gateway", "interchange sender is not a configured partner", ta1="006"),
    ErrorSpec("PARTNER_MISMATCH", "gateway", "interchange sender is not the partner the transport received it from "
              "(its folder, SFTP channel or AS2 partnership)"),
    ErrorSpec("MAPPING_INVALID", "gateway", "the mapping file for this partner is invalid; the interchange is held "
              "unanswered until it is fixed and the message reprocessed"),
    ErrorSpec("FA_REJECTED", "gateway", "the partner's 997/999 rejected a set we sent"),
    ErrorSpec("FA_OVERDUE", "gateway", "no 997/999 for a set we sent within the partner's window"),
    ErrorSpec("SCHEDULE_JOB_FAILED", "gateway", "a scheduled job failed"),
    ErrorSpec("SCHEDULE_JOB_UNAVAILABLE", "gateway", "a scheduled job's function is not available"),
    ErrorSpec("DUPLICATE_INTERCHANGE", "gateway", "interchange already received (same sender and ISA13)",
              ta1="025"),
)

CATALOGUE: dict[str, ErrorSpec] = {spec.code: spec for spec in _SPECS}


def spec(code: str) -> ErrorSpec:
    """Return the catalogue entry for ``code`` (KeyError for an unknown code: a bug)."""
    return CATALOGUE[code]


@dataclass(slots=True)
class EdiError(Exception):
    """One coded problem found in inbound data.

    Location fields are filled as far as they are known:
      segment_position  1-based position of the segment within its transaction set (ST = 1)
      segment_id        the segment tag (e.g. "PO1")
      loop_id           the loop identifier the segment is in (for AK3/IK3), if known
      element_position  1-based element position within the segment
      component_position 1-based component position within a composite, if any
      element_ref       the data element reference number (e.g. "330"), if known
      bad_value         the offending value (copied into AK404 / IK404, truncated)
      offset            character offset of the segment within the file, if known
    """

    code: str
    message: str
    segment_position: int | None = None
    segment_id: str | None = None
    loop_id: str | None = None
    element_position: int | None = None
    component_position: int | None = None
    element_ref: str | None = None
    bad_value: str | None = None
    offset: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown error code {self.code!r}")
        Exception.__init__(self, self.code, self.message)

    @property
    def spec(self) -> ErrorSpec:
        return CATALOGUE[self.code]

    @property
    def level(self) -> Level:
        return CATALOGUE[self.code].level

    def __str__(self) -> str:
        where = []
        if self.segment_id:
            where.append(self.segment_id)
        if self.segment_position is not None:
            where.append(f"segment #{self.segment_position}")
        if self.element_position is not None:
            where.append(f"element {self.element_position:02d}")
        loc = f" ({', '.join(where)})" if where else ""
        return f"{self.code}: {self.message}{loc}"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message}
        for name in ("segment_position", "segment_id", "loop_id", "element_position", "component_position",
                     "element_ref", "bad_value", "offset"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data
