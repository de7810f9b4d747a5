"""Validate and map one transaction set: the step shared by booking and the dry-run translate."""

from __future__ import annotations

from dataclasses import dataclass, field

from edi.errors import EdiError
from edi.mapping import CompiledMapping, FieldTrace
from edi.x12.model import TransactionSet
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from gateway.inbound.fa_read import FUNCTIONAL_ACK_SETS, read_functional_ack
from gateway.mappings import MappingResolver


@dataclass(slots=True)
class Evaluation:
    errors: list[EdiError]
    document: object | None = None  # the canonical document (pydantic model) when mapping succeeded
    mapping: CompiledMapping | None = None
    explain: list[FieldTrace] = field(default_factory=list)
    reached: str = "received"  # the last stage passed: received | parsed | mapped

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.errors


def evaluate_set(tx: TransactionSet, resolver: MappingResolver, partner_id: str | None,
                 *, explain: bool = False) -> Evaluation:
    if tx.errors:
        return Evaluation(list(tx.errors))
    version = tx.group.version
    schema = load_schema(tx.id, version)
    if schema is None:
        return Evaluation([EdiError("ST_NOT_SUPPORTED", f"transaction set {tx.id!r} (version {version}) "
                                    "is not supported", segment_position=1, segment_id="ST")])
    errors = validate_set(tx, schema)
    if errors:
        return Evaluation(errors)
    if tx.id in FUNCTIONAL_ACK_SETS:  # fixed by X12.6, read by code rather than a partner's mapping
        read = read_functional_ack(tx)
        return Evaluation([read], reached="parsed") if isinstance(read, EdiError) else Evaluation([], read,
                                                                                                 reached="mapped")
    mapping = resolver.resolve(tx.id, version, partner_id)
    if mapping is None:
        return Evaluation([EdiError("MAP_NO_MAPPING", f"no mapping for {tx.id} version {version}")],
                          reached="parsed")
    result = mapping.apply(tx, partner=partner_id, explain=explain)
    if result.errors or result.document is None:
        return Evaluation(list(result.errors), mapping=mapping, explain=list(result.explain), reached="parsed")
    return Evaluation([], result.document, mapping, list(result.explain), reached="mapped")
