"""What every canonical document shares: exact decimals, strict models, the envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Fixed-point text, never exponent form: Decimal("1E+2") must read "100", not "1E+2".
ExactDecimal = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="always")]


class _Canonical(BaseModel):
    """Shared settings: unknown keys are an error; models are plain value objects."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=False)


class Envelope(_Canonical):
    """Control numbers and parties of the envelope a document arrived in (for the ledger and acks).

    For XML and CSV documents the control numbers are the document's own identifiers and the
    parties are the partner's identifiers as the file states them.
    """

    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    set_control_number: str  # ST02
    sender_id: str  # "ISA05:ISA06", e.g. "ZZ:ACME"
    receiver_id: str  # "ISA07:ISA08"
    version: str  # GS08, e.g. "004010"


class Document(_Canonical):
    """Base of every canonical document.

    Each document declares, in its own field order (the JSON contract), ``type`` (a Literal
    naming the document), ``partner: str | None`` and ``envelope: Envelope``: the engine fills
    those three (:data:`ENGINE_FILLED`); a mapping fills the rest.
    """

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON-able form with the contract's key order: Decimals and dates as strings."""
        return self.model_dump(mode="json")


#: Document fields the engine fills itself; a mapping may not address them.
ENGINE_FILLED: frozenset[str] = frozenset({"type", "partner", "envelope"})
