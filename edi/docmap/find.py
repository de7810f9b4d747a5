"""Which XML/CSV mapping applies to a file: the partner's own, else the default.

Mapping files live in ``<root>/partners/<partner>/<kind>/*.yaml`` and
``<root>/default/<kind>/*.yaml`` (kind: ``xml`` or ``csv``). An XML file is matched by
its root element (namespace included); a CSV file by its header: a layout applies when
the header has every column the layout requires (its required rules, ``group_by`` and
``match_columns``), and among those the one requiring the most columns wins (the most
specific layout). Partner files are searched first; files in a folder in name order.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from pathlib import Path

from edi.docmap.engine import CompiledDocMapping, load_doc_mapping

_PARTNER_DIR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
KINDS = ("xml", "csv")


def _folders(kind: str, partner: str | None, roots: Sequence[Path]) -> list[list[Path]]:
    """Candidate files, one list per precedence level (partner, then default)."""
    levels = []
    if partner is not None:
        levels.append([f for root in roots for f in sorted((root / "partners" / partner / kind).glob("*.yaml"))])
    levels.append([f for root in roots for f in sorted((root / "default" / kind).glob("*.yaml"))])
    return levels


def find_doc_mapping(kind: str, root_or_layout: str | Sequence[str], partner: str | None,
                     roots: Sequence[Path], cache: MutableMapping[Path, CompiledDocMapping] | None = None
                     ) -> Path | None:
    """The mapping file for an XML root (Clark notation ``{uri}local``) or a CSV header; None if none fits.

    ``cache`` (path -> compiled mapping) spares recompiling candidates across calls. A
    candidate that does not load raises its MappingError: a broken file is never skipped.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if partner is not None and _PARTNER_DIR.fullmatch(partner) is None:
        raise ValueError(f"partner id {partner!r} cannot name a mapping folder")
    compiled = cache if cache is not None else {}
    for level in _folders(kind, partner, roots):
        best: tuple[int, Path] | None = None
        for candidate in level:
            if candidate not in compiled:
                compiled[candidate] = load_doc_mapping(candidate, roots)
            mapping = compiled[candidate]
            if kind == "xml" and isinstance(root_or_layout, str):
                if mapping.source == "xml" and mapping.root_tag == root_or_layout:
                    return candidate
            elif kind == "csv" and not isinstance(root_or_layout, str) and mapping.matches_header(root_or_layout):
                score = len(mapping.layout_columns)
                if best is None or score > best[0]:
                    best = (score, candidate)
        if best is not None:
            return best[1]
    return None
