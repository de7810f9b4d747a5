"""Which mapping applies to a transaction set: the partner's own file, else the default.

Compiled mappings are cached per resolver instance (one per gateway run), keyed by the
file that was found, so a partner's file is read and compiled once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from edi.docmap import CompiledDocMapping, find_doc_mapping
from edi.mapping import CompiledMapping, find_mapping, load_mapping


class MappingResolver:
    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = list(roots)
        self._compiled: dict[Path, CompiledMapping] = {}
        self._found: dict[tuple[str, str, str | None], Path | None] = {}
        self._documents: dict[Path, CompiledDocMapping] = {}

    def resolve(self, set_id: str, version: str, partner_id: str | None) -> CompiledMapping | None:
        key = (set_id, version, partner_id)
        if key not in self._found:
            self._found[key] = find_mapping(set_id, version, partner_id, self.roots)
        path = self._found[key]
        if path is None:
            return None
        if path not in self._compiled:
            self._compiled[path] = load_mapping(path, self.roots)
        return self._compiled[path]

    def resolve_document(self, kind: str, root_or_layout: str | Sequence[str],
                         partner_id: str | None) -> CompiledDocMapping | None:
        """The XML/CSV mapping for an XML root (``{uri}local``) or a CSV header; the partner's first."""
        path = find_doc_mapping(kind, root_or_layout, partner_id, self.roots, self._documents)
        return self._documents.get(path) if path is not None else None
