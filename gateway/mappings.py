"""Which mapping applies to a transaction set: the partner's own file, else the default.

Compiled mappings are cached per resolver instance (one per gateway run), keyed by the
file that was found, so a partner's file is read and compiled once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from edi.mapping import CompiledMapping, find_mapping, load_mapping


class MappingResolver:
    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = list(roots)
        self._compiled: dict[Path, CompiledMapping] = {}
        self._found: dict[tuple[str, str, str | None], Path | None] = {}

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
