"""Compiled field plans of an XML/CSV mapping: what the evaluator runs, checked once at load time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel

from edi.mapping.convert import Converter
from edi.mapping.results import RuleInfo

SourceKind = Literal["path", "column", "meta"]


@dataclass(frozen=True, slots=True)
class Source:
    """One place a value is read from: an XPath (compiled), a CSV column, or file metadata."""

    kind: SourceKind
    text: str
    xpath: etree.XPath | None = None

    @property
    def label(self) -> str:
        """How traces and messages name it: the XPath, ``column 'Qty'`` or ``meta file_stem``."""
        return {"path": self.text, "column": f"column {self.text!r}", "meta": f"meta {self.text}"}[self.kind]


@dataclass(frozen=True, slots=True)
class ScalarPlan:
    """A value field (or a list of strings when ``many``), with its fallbacks and converter chain."""

    name: str
    sources: tuple[Source, ...]
    chain: Converter | None
    default: Any
    required: bool
    many: bool
    split: re.Pattern[str] | None
    join: str | None
    info: RuleInfo


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """An object (``many`` False) or a list of objects, read from the node(s) ``select`` picks."""

    name: str
    model: type[BaseModel]
    many: bool
    select: Source | None
    required: bool
    info: RuleInfo
    fields: tuple[FieldPlan, ...]


FieldPlan = ScalarPlan | GroupPlan
