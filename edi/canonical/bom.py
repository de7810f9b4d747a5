"""The canonical bill of materials: what an IPC-2581 ``<Bom>`` or a BOM spreadsheet becomes.

A contract manufacturer receives BOMs from the design owner to plan material; the ERP
core books them as item structures. Flat multi-level files (one row per component with a
``parent`` column) stay flat here: ``parent`` names the sub-assembly a component goes
into, None means the top assembly (:attr:`BillOfMaterials.item`). Quantities are exact
decimals, per one unit of the parent, as the file states them.

Envelope for a file that has none (XML, CSV): the control numbers are the document's own
identifier (e.g. the IPC-2581 ``Bom/@name``, or the assembly number of a CSV), the sender
is what the file says about its author, or "FILE" when it says nothing; ``version`` is the
format's version (IPC-2581 revision "C"; a CSV layout name).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical


class BomComponent(_Canonical):
    """One component line: which part, how many per parent, where it is placed."""

    find_number: str | None = None
    part: str
    description: str | None = None
    quantity: ExactDecimal
    uom: str | None = None
    ref_designators: list[str] = Field(default_factory=list)
    parent: str | None = None
    manufacturer: str | None = None
    manufacturer_part: str | None = None


class BillOfMaterials(Document):
    """An assembly's bill of materials in canonical form, independent of the file format it came in."""

    type: Literal["bill_of_materials"] = "bill_of_materials"
    partner: str | None = None
    item: str
    revision: str | None = None
    description: str | None = None
    effective_from: dt.date | None = None
    source_format: str | None = None
    components: list[BomComponent]
    envelope: Envelope
