"""Render the acknowledgement interchange for one inbound interchange and put it in the ledger.

One functional group (GS01 "FA") answers each inbound group: a 997 for groups of
version 004xxx and older, a 999 for 005xxx (or the partner's preference). A TA1 is
added when the sender asked for one (ISA14 = 1) or the interchange itself is rejected.
Control numbers come from the ledger's gap-free counters, in the caller's transaction,
so an interchange that is rolled back leaves no hole in the sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from edi.x12.ack import ACK_GROUP_VERSION, GroupOutcome, ack_kind, ack_out_set, build_ta1
from edi.x12.model import Delimiters, InterchangeHeader, Segment
from edi.x12.writer import OutGroup, Party, render_interchange
from gateway.ledger import store
from gateway.ledger.archive import Archive
from gateway.ledger.models import PENDING, Message
from gateway.settings import GatewayIdentity

_REPETITION_CANDIDATES = "^|{}\\!"


@dataclass(frozen=True, slots=True)
class AckGroup:
    outcome: GroupOutcome
    partner_application_id: str  # the inbound GS02, which our GS03 answers


@dataclass(frozen=True, slots=True)
class AckRequest:
    partner_id: str
    ack_preference: str  # "auto" | "997" | "999"
    header: InterchangeHeader
    groups: Sequence[AckGroup]
    ta1: Segment | None = None
    parent_id: int | None = None


def reply_delimiters(inbound: Delimiters, isa12: str) -> Delimiters:
    """Answer in the sender's delimiters, one segment per line unless newline is a delimiter.

    From ISA12 00402 on a repetition separator is mandatory; a sender that wrote "U" in
    ISA11 of a 00501 interchange gets the first conventional one its delimiters leave free.
    """
    taken = inbound.all()
    suffix = "" if "\n" in taken or "\r" in taken else "\n"
    repetition = inbound.repetition
    if repetition is None and isa12 >= "00402":
        repetition = next(c for c in _REPETITION_CANDIDATES if c not in taken)
    return Delimiters(inbound.element, inbound.component, inbound.segment, repetition, suffix)


def reply_isa12(header: InterchangeHeader) -> str:
    """The ISA12 we answer with: the sender's, unless it is not a 5-digit version (then 00401)."""
    return header.version if header.version.isdigit() and len(header.version) == 5 else "00401"


def _ack_group_version(kind: str, inbound_version: str) -> str:
    """999: 005010X231A1; 997: the version of the group it answers (what the partner speaks)."""
    if kind == "999":
        return ACK_GROUP_VERSION[kind]
    return inbound_version if inbound_version[:6].isdigit() else ACK_GROUP_VERSION[kind]


def create_ack(session: Session, archive: Archive, us: GatewayIdentity, request: AckRequest) -> Message | None:
    """Render, archive and record the acknowledgement; returns the pending outbound message."""
    header = request.header
    isa12 = reply_isa12(header)
    delimiters = reply_delimiters(header.delimiters, isa12)
    groups: list[OutGroup] = []
    kinds: list[str] = []
    for group in request.groups:
        outcome = group.outcome
        kind = ack_kind(outcome.version) if request.ack_preference == "auto" else request.ack_preference
        st02 = store.next_control_number(session, request.partner_id, "st")
        gs06 = store.next_control_number(session, request.partner_id, "gs")
        out_set = ack_out_set(outcome, st02, kind, delimiters=delimiters)
        groups.append(OutGroup(functional_id="FA", sender_id=us.application_id,
                               receiver_id=group.partner_application_id, control_number=gs06,
                               version=_ack_group_version(kind, outcome.version), sets=[out_set]))
        kinds.append(kind)
    if not groups and request.ta1 is None:
        return None
    isa13 = store.next_control_number(session, request.partner_id, "isa")
    text = render_interchange(
        sender=Party(us.qualifier, us.isa_id), receiver=Party(header.sender_qualifier, header.sender_id),
        groups=groups, control_number=isa13, delimiters=delimiters, usage=us.usage,
        version=isa12, when=datetime.now(UTC),
        ta1=[request.ta1] if request.ta1 is not None else ())
    data = text.encode("utf-8")
    archived = archive.store_bytes(data)
    label = "+".join(sorted(set(kinds))) or "TA1"
    message = store.add_message(
        session, direction="out", kind="ack", parent_id=request.parent_id, partner_id=request.partner_id,
        sender=f"{us.qualifier}:{us.isa_id}", receiver=f"{header.sender_qualifier}:{header.sender_id}",
        isa13=f"{isa13:09d}", set_id=label, status=PENDING,
        doc_ref=f"ack of ISA13 {header.control_number}")
    file_name = f"{request.partner_id}/{label.replace('+', '-')}-{isa13:09d}.x12"
    store.attach_file(session, message, file_name, archived)
    return message


def ta1_reply(header: InterchangeHeader, note_code: str | None) -> Segment | None:
    """The TA1 the sender gets: rejected with ``note_code``, or accepted when it asked (ISA14=1).

    None when no TA1 is due, or when the ISA's own control number, date or time are too
    broken to be echoed in one (the ledger still records the rejection).
    """
    if not note_code and header.ack_requested != "1":
        return None
    try:
        return build_ta1(header.control_number, header.date, header.time, accepted=not note_code,
                         note_code=note_code or "000")
    except ValueError:
        return None
