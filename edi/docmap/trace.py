"""Errors and explain traces of one application of an XML/CSV mapping.

:class:`DocFieldTrace` is a :class:`~edi.mapping.FieldTrace` (so ``translate --explain``
prints it unchanged) that also names the XPath or CSV column the value came from and
where in the file it was found. Errors are :class:`~edi.errors.EdiError` with the
catalogue's mapping codes; the file location goes into ``extra`` (``line``/``row``)
because the X12 location fields (segment, element) do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edi.docmap.cursor import Hit
from edi.docmap.plan import Source
from edi.errors import EdiError
from edi.mapping.results import FieldTrace, RuleInfo


@dataclass(frozen=True, slots=True)
class DocFieldTrace(FieldTrace):
    """A field trace whose ``source`` is "xml", "csv", "meta", "default" or "constant".

    ``locator`` is the XPath, ``column 'Qty'`` or ``meta file_stem``; ``location`` is
    "line 27" (XML) or "row 5" (CSV record number, header = row 1).
    """

    locator: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = FieldTrace.to_dict(self)
        if self.locator is not None:
            data["path"] = self.locator
        if self.location:
            data["location"] = self.location
        return data


def _extra(path: str, info: RuleInfo, source: Source | None, hit: Hit | None) -> dict[str, str]:
    extra = {"field": path, "rule": f"{info.file}:{info.line}"}
    if source is not None:
        extra["source"] = source.label
    if hit is not None and hit.line is not None:
        extra["line"] = str(hit.line)
    if hit is not None and hit.row is not None:
        extra["row"] = str(hit.row)
    return extra


class DocRun:
    """Errors and traces of one document; ``kind`` ("xml"/"csv") labels value traces."""

    __slots__ = ("errors", "kind", "traces")

    def __init__(self, kind: str, explain: bool) -> None:
        self.kind = kind
        self.errors: list[EdiError] = []
        self.traces: list[FieldTrace] | None = [] if explain else None

    def missing(self, path: str, info: RuleInfo, sources: tuple[Source, ...], reason: str | None = None) -> None:
        looked = " or ".join(s.label for s in sources)
        detail = reason or (f"nothing at {looked}" if looked else "no value")
        self.errors.append(EdiError("MAP_REQUIRED_MISSING", f"{path}: required value not found ({detail})",
                                    extra=_extra(path, info, sources[0] if sources else None, None)))

    def invalid(self, path: str, info: RuleInfo, source: Source | None, hit: Hit | None, reason: str) -> None:
        where = f" ({hit.where})" if hit is not None and hit.where else ""
        self.errors.append(EdiError("MAP_INVALID_VALUE", f"{path}: {reason}{where}",
                                    bad_value=hit.raw[:80] if hit is not None else None,
                                    extra=_extra(path, info, source, hit)))

    def trace(self, path: str, info: RuleInfo, source: Source | None, hit: Hit | None, value: Any) -> None:
        if self.traces is None:
            return
        if source is None or hit is None:
            kind = "default" if source is not None else "constant"
            self.traces.append(DocFieldTrace(path, value, None, info.file, info.yaml_path, info.line, kind))
            return
        kind = "meta" if source.kind == "meta" else self.kind
        self.traces.append(DocFieldTrace(path, value, hit.raw, info.file, info.yaml_path, info.line, kind,
                                         locator=source.label, location=hit.where or None))
