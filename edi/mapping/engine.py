"""A compiled mapping and how it is applied to one X12 transaction set.

``load_mapping`` reads a mapping file (following ``extends``), validates it and
compiles it once into plans (``edi.mapping.plan``) with two back-ends:

* the fast path (``edi.mapping.codegen``): generated code that maps a clean set and
  builds the models directly; it gives up at the first problem;
* the reference path (``edi.mapping.evaluators``): loop grouping with positions, one
  evaluator per field collecting every error, an explain trace on request, and a
  pydantic validation of the result.

``apply`` tries the fast path unless asked to explain, and runs the reference path when
it gives up, so errors and traces always come from the reference path. Sets with errors
therefore cost a little more than before; clean sets several times less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edi.canonical import DOCUMENTS, Document
from edi.errors import EdiError
from edi.mapping.codegen import FastMapper, generate
from edi.mapping.compiler import Compiler
from edi.mapping.envelope import envelope_of
from edi.mapping.errors import MappingError
from edi.mapping.evaluators import FieldTable, field_table
from edi.mapping.loader import read_chain, validate_mapping
from edi.mapping.loops import LoopNode, build_tree, group
from edi.mapping.model import LoopDef, MappingFile
from edi.mapping.results import MapResult, Run
from edi.mapping.yamlsrc import YamlMap, YamlPath, format_path, locate
from edi.x12.model import TransactionSet


class CompiledMapping:
    """A mapping ready to apply: loop tables, field evaluators and the fast path's code built once."""

    def __init__(self, mapping: MappingFile, raw: YamlMap, source_files: tuple[Path, ...]) -> None:
        self.transaction_set = mapping.transaction_set
        self.versions: tuple[str, ...] = tuple(mapping.versions)
        self.description = mapping.description
        self.document = mapping.document
        self._model: type[Document] = DOCUMENTS[mapping.document]
        self.source_files = source_files
        _check_loops(mapping.loops, raw, ("loops",))
        self._tree: LoopNode = build_tree(mapping.loops)
        self._plans = Compiler(mapping, raw, self._tree).fields(mapping.fields, self._model, self._tree, ("fields",))
        self._fields: FieldTable = field_table(self._plans)
        self._fast: FastMapper | None = generate(self._plans, self._model, self._tree,
                                                 source_files[-1].name if source_files else "?")

    @property
    def generated_source(self) -> str | None:
        """The fast path's generated Python source (for reading and debugging), None without a fast path."""
        return self._fast.source if self._fast is not None else None

    def map_clean(self, tx: TransactionSet, partner: str | None = None) -> Document | None:
        """The fast path alone: the document of a clean set, None when anything is amiss (``apply`` says what).

        A partner id that is not text is left to the reference path, whose validation reports it.
        """
        if self._fast is None or tx.id != self.transaction_set or not (partner is None or type(partner) is str):
            return None
        document: Document | None = self._fast.map(tx, partner)
        return document

    def handles(self, version: str) -> bool:
        """Whether GS08 ``version`` starts with one of the declared version prefixes."""
        return version.startswith(self.versions)

    def apply(self, tx: TransactionSet, *, partner: str | None = None, explain: bool = False) -> MapResult:
        """Map ``tx`` to its canonical document; errors are collected, never raised.

        ``explain`` adds a trace of every field's origin (the reference path, several times slower).
        """
        if tx.id != self.transaction_set:
            return MapResult(None, [EdiError("MAP_NO_MAPPING", f"this mapping is for {self.transaction_set}, "
                                             f"not {tx.id!r}", segment_position=1, segment_id="ST",
                                             element_position=1, bad_value=tx.id)])
        document = None if explain else self.map_clean(tx, partner)
        if document is not None:
            return MapResult(document, [], [])
        return self._apply_reference(tx, partner, explain)

    def _apply_reference(self, tx: TransactionSet, partner: str | None, explain: bool) -> MapResult:
        """Every error of ``tx``, the trace if asked, and the validated document when there is no error."""
        run = Run(tx.segments, explain)
        root = group(tx.segments, self._tree)
        data: dict[str, Any] = {name: ev(root, root, run, "") for name, ev in self._fields}
        explain_list = run.traces if run.traces is not None else []
        if run.errors:
            return MapResult(None, run.errors, explain_list)
        data["type"] = self.document
        data["partner"] = partner
        data["envelope"] = envelope_of(tx)
        try:
            document = self._model.model_validate(data)
        except ValidationError as exc:
            return MapResult(None, _model_errors(exc), explain_list)
        return MapResult(document, [], explain_list)


def _model_errors(exc: ValidationError) -> list[EdiError]:
    """Values the compiled rules let through but the canonical model refuses (e.g. an unbounded string)."""
    errors = []
    for problem in exc.errors(include_url=False):
        path = format_path(tuple(p for p in problem["loc"] if isinstance(p, (str, int))))
        errors.append(EdiError("MAP_INVALID_VALUE", f"{path}: {problem['msg']}", extra={"field": path}))
    return errors


def _check_loops(loops: Mapping[str, LoopDef], raw: YamlMap, path: YamlPath) -> None:
    """Loop definitions the grouping pass could not follow: a loop listing its own start, twin starts."""
    starts: dict[str, str] = {}
    for name, loop in loops.items():
        here = (*path, name)
        start = loop.start or name
        if start in loop.members:
            raise _error(raw, (*here, "members"), f"loop {name} lists its own start segment {start} as a member")
        if start in starts:
            raise _error(raw, here, f"loops {starts[start]} and {name} both start with segment {start}")
        starts[start] = name
        _check_loops(loop.loops, raw, (*here, "loops"))


def _error(raw: YamlMap, path: YamlPath, message: str) -> MappingError:
    file, line = locate(raw, path)
    return MappingError(file, format_path(path), line, message)


def load_mapping(path: Path, roots: Sequence[Path]) -> CompiledMapping:
    """Read, merge (``extends`` resolved against ``roots``), validate and compile a mapping file.

    Raises :class:`~edi.mapping.errors.MappingError` naming the file, YAML path and line.
    """
    raw, files = read_chain(path, roots)
    mapping = validate_mapping(raw)
    return CompiledMapping(mapping, raw, files)


__all__ = ["CompiledMapping", "MapResult", "envelope_of", "load_mapping"]
