"""What applying a mapping returns: the document, coded errors, and (on request) a field trace.

``Run`` is the per-application accumulator the compiled rules write into; it exists
so rules stay pure functions of their input and one run's errors never leak into
another's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from edi.canonical import Document
from edi.errors import EdiError
from edi.x12.model import Segment


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Where a rule is written: for traces and error messages."""

    file: str
    yaml_path: str
    line: int
    segment_id: str | None = None
    element_position: int | None = None


@dataclass(frozen=True, slots=True)
class FieldTrace:
    """How one canonical field got its value (for the --explain view).

    ``source`` is "segment" (read from X12), "default" (the rule's default) or
    "constant" (a rule with only a default).
    """

    field: str
    value: Any
    raw: str | None
    file: str
    yaml_path: str
    line: int
    source: str
    segment_id: str | None = None
    segment_position: int | None = None
    element_position: int | None = None
    qualifier: str | None = None


    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (Decimals as fixed-point text, dates as ISO) for the --explain output."""
        data: dict[str, Any] = {"field": self.field, "value": _jsonable(self.value), "raw": self.raw,
                                "source": self.source, "mapping": self.file, "rule": self.yaml_path,
                                "line": self.line}
        for name in ("segment_id", "segment_position", "element_position", "qualifier"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(slots=True)
class MapResult:
    """The canonical document (None when any error was found), the errors, the trace."""

    document: Document | None
    errors: list[EdiError] = field(default_factory=list)
    explain: list[FieldTrace] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.errors


Hit = tuple[str, int, int, str]  # (raw value, segment position, element position, qualifier)


def field_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Run:
    """Errors and traces of one application of a mapping."""

    __slots__ = ("errors", "segments", "traces")

    def __init__(self, segments: list[Segment], explain: bool) -> None:
        self.segments = segments
        self.errors: list[EdiError] = []
        self.traces: list[FieldTrace] | None = [] if explain else None

    def missing(self, path: str, info: RuleInfo, segment_position: int | None) -> None:
        where = f"{info.segment_id}{info.element_position:02d}" if info.element_position else info.segment_id
        self.errors.append(EdiError(
            "MAP_REQUIRED_MISSING", f"{path}: required value not found" + (f" ({where})" if where else ""),
            segment_position=segment_position, segment_id=info.segment_id,
            element_position=info.element_position,
            extra={"field": path, "rule": f"{info.file}:{info.line}"},
        ))

    def invalid(self, path: str, info: RuleInfo, hit: Hit, reason: str) -> None:
        self.errors.append(EdiError(
            "MAP_INVALID_VALUE", f"{path}: {reason}", segment_position=hit[1], segment_id=self._tag(hit[1]),
            element_position=hit[2], bad_value=hit[0][:80],
            extra={"field": path, "rule": f"{info.file}:{info.line}"},
        ))

    def trace(self, path: str, info: RuleInfo, hit: Hit | None, value: Any) -> None:
        if self.traces is None:
            return
        if hit is None:
            source = "constant" if info.segment_id is None else "default"
            self.traces.append(FieldTrace(path, value, None, info.file, info.yaml_path, info.line, source))
            return
        raw, position, element, qualifier = hit
        self.traces.append(FieldTrace(path, value, raw, info.file, info.yaml_path, info.line, "segment",
                                      self._tag(position), position, element, qualifier or None))

    def _tag(self, position: int) -> str:
        return self.segments[position - 1][0]
