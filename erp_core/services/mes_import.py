"""Import of what an MES pushes: lots, serials, consumptions, inspections, nonconformances.

One file is one unit of work: every row is checked and applied inside one SAVEPOINT,
and when any row is refused the whole file is rolled back and every refused row is
reported (``status == "rejected"``), so that a corrected file can simply be sent
again. Nothing is committed here; the caller's transaction decides.

Formats (chosen by ``file_format``, else by content: ``[`` or ``{`` first is JSON):

* CSV, UTF-8 (a BOM is allowed), delimiter ``,``, ``;`` or tab as the header shows;
  one record per row, a ``record`` column naming its kind (``lot``, ``serial``,
  ``consumption``, ``inspection``, ``nonconformance``), the other columns named as
  the fields of :mod:`erp_core.inputs_quality` (a ``serial`` row has a ``serial``
  column). Empty cells are absent values. Rows are numbered as a spreadsheet shows
  them: the header is row 1.
* JSON: a list of objects, or ``{"records": [...]}``; each object has ``record`` and
  the same fields (``serial`` or ``serials``). Numbers keep their exact decimal
  value. Rows are numbered from 1 in list order.

Records apply in dependency order (lots, serials, consumptions, inspections,
nonconformances), in file order within a kind, so a file may list them in any order.
Codes: the services' own (``LOT_EXISTS``, ...), ``<KIND>_INVALID`` for a field that
does not validate, and ``MES_*`` for the file itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from erp_core.inputs_quality import (
    ConsumptionInput,
    InspectionInput,
    LotInput,
    NonconformanceInput,
    SerialsInput,
)
from erp_core.services._quality import QualityError
from erp_core.services.inspections import open_nonconformance, record_inspection
from erp_core.services.lots import add_serials, record_consumption, record_lot

__all__ = ["RECORD_KINDS", "MesImportResult", "MesRowError", "import_mes"]

FileFormat = Literal["csv", "json"]
ImportStatus = Literal["imported", "rejected"]


@dataclass(frozen=True, slots=True)
class _Kind:
    model: type[BaseModel]
    apply: Callable[[Session, Any], object]
    invalid_code: str


RECORD_KINDS: Mapping[str, _Kind] = MappingProxyType({  # read-only; in the order records are applied
    "lot": _Kind(LotInput, record_lot, "LOT_INVALID"),
    "serial": _Kind(SerialsInput, add_serials, "SERIAL_INVALID"),
    "consumption": _Kind(ConsumptionInput, record_consumption, "CONSUMPTION_INVALID"),
    "inspection": _Kind(InspectionInput, record_inspection, "INSPECTION_INVALID"),
    "nonconformance": _Kind(NonconformanceInput, open_nonconformance, "NC_INVALID"),
})
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class MesRowError:
    """A refused row (``row`` 0 and ``record`` None: the file as a whole)."""

    row: int
    record: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class MesImportResult:
    """What happened to a file: every row applied (``imported``) or none (``rejected``)."""

    status: ImportStatus
    counts: dict[str, int] = field(default_factory=dict)
    errors: tuple[MesRowError, ...] = ()


class _FileError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    values: dict[str, Any]


def import_mes(session: Session, content: bytes | str, *, file_format: FileFormat | None = None) -> MesImportResult:
    """Apply one MES file whole, or reject it and write nothing; see the module docstring."""
    try:
        rows = _parse(content, file_format)
    except _FileError as exc:
        return MesImportResult("rejected", errors=(MesRowError(0, None, exc.code, str(exc)),))
    file_savepoint = session.begin_nested()
    counts, errors = _apply_all(session, rows)
    if errors:
        file_savepoint.rollback()
        return MesImportResult("rejected", errors=tuple(sorted(errors, key=lambda e: e.row)))
    file_savepoint.commit()
    return MesImportResult("imported", counts=counts)


def _apply_all(session: Session, rows: list[_Row]) -> tuple[dict[str, int], list[MesRowError]]:
    counts = {kind: 0 for kind in RECORD_KINDS}
    errors: list[MesRowError] = []
    by_kind: dict[str, list[_Row]] = {kind: [] for kind in RECORD_KINDS}
    for row in rows:
        kind = row.values.get("record")
        if kind not in RECORD_KINDS:
            known = ", ".join(RECORD_KINDS)
            errors.append(MesRowError(row.number, None, "MES_RECORD_UNKNOWN", f"record {kind!r} is not one of {known}"))
        else:
            by_kind[kind].append(row)
    for kind, kind_rows in by_kind.items():
        for row in kind_rows:
            error = _apply(session, kind, row)
            if error is None:
                counts[kind] += 1
            else:
                errors.append(error)
    return counts, errors


def _apply(session: Session, kind: str, row: _Row) -> MesRowError | None:
    """Apply one row in its own SAVEPOINT, so a refused row leaves the others usable."""
    spec = RECORD_KINDS[kind]
    values = {name: value for name, value in row.values.items() if name != "record"}
    if kind == "serial" and "serial" in values:
        values["serials"] = [values.pop("serial")]
    try:
        data = spec.model.model_validate(values)
        with session.begin_nested():
            spec.apply(session, data)
    except ValidationError as exc:
        return MesRowError(row.number, kind, spec.invalid_code, _validation_text(exc))
    except QualityError as exc:
        return MesRowError(row.number, kind, exc.code, exc.message)
    return None


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        parts.append(f"{location}: {error['msg']}" if location else error["msg"])
    return "; ".join(parts)


# -- parsing ---------------------------------------------------------------------------------


def _parse(content: bytes | str, file_format: FileFormat | None) -> list[_Row]:
    text = _decode(content)
    stripped = text.lstrip()
    if not stripped:
        raise _FileError("MES_FILE_EMPTY", "the file is empty")
    chosen = file_format or ("json" if stripped[0] in "[{" else "csv")
    rows = _json_rows(text) if chosen == "json" else _csv_rows(text)
    if not rows:
        raise _FileError("MES_FILE_EMPTY", "the file holds no records")
    return rows


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _FileError("MES_FILE_ENCODING", f"not UTF-8 (byte {exc.start})") from None


def _json_rows(text: str) -> list[_Row]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _FileError("MES_FILE_INVALID", f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and set(data) == {"records"}:
        data = data["records"]
    if not isinstance(data, list):
        raise _FileError("MES_FILE_INVALID", 'JSON must be a list of records or {"records": [...]}')
    rows = []
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise _FileError("MES_FILE_INVALID", f"record {number} is not an object")
        rows.append(_Row(number, {key: value for key, value in record.items() if value is not None}))
    return rows


def _csv_rows(text: str) -> list[_Row]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _FileError("MES_FILE_INVALID", f"CSV cannot be read: {exc}") from None
    header = [name.strip().lower() for name in records[0]]
    if "record" not in header or len(set(header)) != len(header) or "" in header:
        raise _FileError("MES_FILE_INVALID", "the header needs a 'record' column and unique, non-empty names")
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise _FileError("MES_FILE_INVALID", f"row {number} has {len(record)} fields, the header {len(header)}")
        values = {name: cell.strip() for name, cell in zip(header, record, strict=True) if cell.strip()}
        rows.append(_Row(number, values))
    return rows
