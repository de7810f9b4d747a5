"""One partner's documents of one run: built one by one, then enveloped and recorded together.

Each document is built inside its own SAVEPOINT after its ``outbound_document`` row is
claimed: a document that fails (bad data, a template error, a lot that does not pass)
gives back its ST control number and any ERP write it made (an invoice), and only its row
records the coded error; the others go on. The X12 sets then make one interchange (one GS
per functional id), archived as one outbound file; every set gets its own ledger row for
997/999 reconciliation, and the ERP records are marked with the set that carried them.
PDF certificates are outbound files of their own. The caller commits, once per partner.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from edi.render import RenderError, check_out_set, render_x12_set
from edi.x12.model import Delimiters
from edi.x12.writer import OutGroup, OutSet, Party, effective_delimiters, render_interchange
from erp_core.errors import ErpError
from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.models import PENDING, ControlCounter, Message, OutboundDocument
from gateway.outbound.documents import ledger
from gateway.outbound.documents.config import PartnerOutbound
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DOC_PARTNER_NO_X12, DOC_SET_INVALID, DocumentError
from gateway.outbound.reconcile import record_sent_sets

# Transaction set -> (GS01 functional id, template, context key); groups are written in this order.
SETS: dict[str, tuple[str, str, str]] = {"856": ("SH", "x12/856.j2", "shipment"),
                                         "863": ("RT", "x12/863.j2", "certificate"),
                                         "810": ("IN", "x12/810.j2", "invoice"),
                                         "842": ("NC", "x12/842.j2", "report"),
                                         "870": ("RS", "x12/870.j2", "status")}
ISA_VERSIONS = {"004010": "00401", "005010": "00501"}
CERTIFICATE_TEMPLATE = "html/certificate.html.j2"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
OnSent = Callable[[str], None]


def hold_control_numbers(session: Session, partner_id: str) -> None:
    """Lock the partner's ST counter row for this transaction, before anything else is locked.

    Every allocation of a partner's control numbers (these documents, 997/999s, 855/865s)
    bumps ST first, then GS, then ISA, and holds the rows until it commits. A batch that
    took it only at its first set would already hold ERP row locks and claims then (the
    invoice locks its shipment), while a concurrent batch holding ST waits for those very
    rows (the 856 marks the shipment): a deadlock. Taken first, a second batch of the
    partner waits here holding nothing. A partner without numbers yet gets its row (at 0).
    """
    locked = select(ControlCounter.last_value).where(
        ControlCounter.partner_id == partner_id, ControlCounter.kind == "st").with_for_update()
    if session.execute(locked).first() is not None:
        return
    try:
        with session.begin_nested():
            session.add(ControlCounter(partner_id=partner_id, kind="st", last_value=0))
    except IntegrityError:  # a concurrent batch created it and has committed: lock it as it stands now
        session.execute(locked).one()


@dataclass(slots=True)
class _BuiltSet:
    out_set: OutSet
    rows: list[OutboundDocument]
    doc_ref: str
    on_sent: OnSent | None


@dataclass(slots=True)
class _BuiltPdf:
    row: OutboundDocument
    data: bytes
    file_name: str
    doc_ref: str


@dataclass(slots=True)
class PartnerBatch:
    """The documents of ``partner_id`` in this run (``receiver``: its ISA qualifier and id, if any)."""

    ctx: Context
    session: Session
    partner_id: str
    settings: PartnerOutbound
    receiver: Party | None
    now: dt.datetime
    sets: list[_BuiltSet] = field(default_factory=list)
    pdfs: list[_BuiltPdf] = field(default_factory=list)

    @property
    def delimiters(self) -> Delimiters:
        isa12 = ISA_VERSIONS[self.settings.x12_version]
        return effective_delimiters(Delimiters("*", ">", "~", "^", "\n"), isa12)

    def add_set(self, set_id: str, rows: list[OutboundDocument], doc_ref: str, build: Callable[[], Any],
                on_sent: OnSent | None = None) -> bool:
        """Build the canonical document (``build``) and render set ``set_id``; False when it failed (recorded)."""
        if not rows:
            return False
        _, template, key = SETS[set_id]

        def render() -> OutSet:
            if self.receiver is None:
                raise DocumentError(DOC_PARTNER_NO_X12, f"partner {self.partner_id} has no X12 address")
            document = build()
            version = self.settings.x12_version
            st02 = store.next_control_number(self.session, self.partner_id, "st")
            out_set = render_x12_set(self.ctx.templates.for_partner(self.partner_id), template, {key: document},
                                     set_id=set_id, control_number=st02, version=version,
                                     delimiters=self.delimiters)
            problems = check_out_set(out_set, version, self.delimiters)
            if problems:
                raise DocumentError(DOC_SET_INVALID, f"{set_id} {doc_ref}: {problems[0]}")
            return out_set

        out_set = self._guarded(rows, render)
        if out_set is not None:
            self.sets.append(_BuiltSet(out_set, rows, doc_ref, on_sent))
        return out_set is not None

    def add_pdf(self, row: OutboundDocument | None, name: str, doc_ref: str, build: Callable[[], Any]) -> bool:
        """Build the certificate (``build``) and lay it out as a PDF; False when it failed (recorded)."""
        if row is None:
            return False

        def render() -> bytes:
            from edi.render.pdf import render_pdf  # WeasyPrint is slow to import: only when a PDF is due

            return render_pdf(self.ctx.templates.for_partner(self.partner_id), CERTIFICATE_TEMPLATE,
                              {"certificate": build()})

        data = self._guarded([row], render)
        if data is not None:
            file_name = f"{self.partner_id}/{_UNSAFE_NAME.sub('_', name)}.pdf"
            self.pdfs.append(_BuiltPdf(row, data, file_name, doc_ref))
        return data is not None

    def _guarded(self, rows: list[OutboundDocument], work: Callable[[], Any]) -> Any | None:
        """``work()`` in a savepoint; a coded failure rolls it back and is recorded on ``rows``."""
        savepoint = self.session.begin_nested()
        try:
            result = work()
        except (DocumentError, RenderError, ErpError) as exc:
            savepoint.rollback()
            code = getattr(exc, "code", None) or DOC_DATA_INVALID
            for row in rows:
                ledger.mark_error(self.session, row, code, str(exc))
            return None
        savepoint.commit()
        return result

    def finish(self) -> list[int]:
        """Envelope the sets, record every message and file; returns the outbound message ids."""
        created = [self._record_pdf(pdf) for pdf in self.pdfs]
        if self.sets:
            created.insert(0, self._record_interchange())
        return created

    def _record_pdf(self, pdf: _BuiltPdf) -> int:
        archived = self.ctx.archive.store_bytes(pdf.data)
        message = store.add_message(self.session, direction="out", kind="file", partner_id=self.partner_id,
                                    status=PENDING, doc_ref=pdf.doc_ref[:64])
        store.attach_file(self.session, message, pdf.file_name, archived)
        ledger.mark_created(self.session, pdf.row, message.id)  # type: ignore[arg-type]
        return message.id  # type: ignore[return-value]

    def _record_interchange(self) -> int:
        us = self.ctx.settings.gateway
        receiver: Party = self.receiver  # type: ignore[assignment]  # sets exist only with a receiver
        version = self.settings.x12_version
        groups = []
        for set_id, (functional_id, _, _) in SETS.items():
            sets = [built.out_set for built in self.sets if built.out_set.set_id == set_id]
            if sets:
                gs06 = store.next_control_number(self.session, self.partner_id, "gs")
                groups.append(OutGroup(functional_id, us.application_id, receiver.group_id, gs06, version, sets))
        isa13 = store.next_control_number(self.session, self.partner_id, "isa")
        text = render_interchange(sender=Party(us.qualifier, us.isa_id), receiver=receiver, groups=groups,
                                  control_number=isa13, delimiters=self.delimiters, usage=us.usage,
                                  version=ISA_VERSIONS[version], when=self.now)
        archived = self.ctx.archive.store_bytes(text.encode("utf-8"))
        label = "-".join(group.sets[0].set_id for group in groups)
        message = store.add_message(
            self.session, direction="out", kind="interchange", partner_id=self.partner_id,
            sender=f"{us.qualifier}:{us.isa_id}", receiver=f"{receiver.qualifier}:{receiver.id}",
            isa13=f"{isa13:09d}", version=version, status=PENDING, doc_ref=label)
        store.attach_file(self.session, message, f"{self.partner_id}/{label}-{isa13:09d}.x12", archived)
        self._record_sets(message, groups)
        return message.id  # type: ignore[return-value]

    def _record_sets(self, interchange: Message, groups: list[OutGroup]) -> None:
        built = {id(b.out_set): b for b in self.sets}
        keys = [(group, out_set) for group in groups for out_set in group.sets]
        refs = {(g.control_number, s.control_number): built[id(s)].doc_ref[:64] for g, s in keys}
        rows = record_sent_sets(self.session, interchange, groups, refs)
        for (group, out_set), row in zip(keys, rows, strict=True):
            item = built[id(out_set)]
            for doc in item.rows:
                ledger.mark_created(self.session, doc, row.id)  # type: ignore[arg-type]
            if item.on_sent is not None:
                item.on_sent(f"{out_set.set_id} ISA13 {interchange.isa13} GS06 {group.control_number} "
                             f"ST02 {out_set.control_number:04d} (message {row.id})")
