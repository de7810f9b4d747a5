"""Pydantic models of a mapping file (after ``extends`` merging).

These check the *shape* of a mapping: known keys only (extra="forbid"), element
references that are syntactically X12 (``BEG03``: a 2-3 character segment tag plus
a 2-digit element number), known converter names, code lists of plain strings.
What needs the whole mapping (does segment N3 belong to loop N1? does the field
exist in the canonical model?) is checked by the compiler, with the same file/line
reporting.

Rule shapes (all keys optional unless said):
  scalar:  ``{path: BEG03, where: {..}, convert: [..], default: .., required: true, fallback: {..}}``
           or just ``BEG03``; ``{path: PO1, qualifier: BP, pairs: [6, 25]}`` reads the value
           that follows qualifier BP in the element pairs 6/7 .. 24/25;
           ``loop: PID`` reads from the current loop's child PID loops; ``scope: header``
           reads from the header instead of the current loop; ``join: " "`` joins all matches.
  object:  ``{loop: N1, where: {N101: ST}, fields: {..}}`` (first matching loop instance)
  list:    ``{loop: PO1, fields: {..}}`` (one item per loop instance)
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edi.canonical import DOCUMENTS
from edi.mapping.convert import CONVERTERS

SEGMENT_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")
ELEMENT_REF = re.compile(r"([A-Z][A-Z0-9]{1,2})([0-9]{2})")
LOOP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
ConverterSpec = tuple[str, Any]


def parse_element_ref(text: str) -> tuple[str, int]:
    """``"BEG03"`` -> ``("BEG", 3)``; ValueError naming the bad reference otherwise."""
    match = ELEMENT_REF.fullmatch(text)
    if match is None or int(match.group(2)) == 0:
        raise ValueError(f"unknown segment reference {text!r} (expected a segment tag and a 2-digit element, "
                         "e.g. BEG03)")
    return match.group(1), int(match.group(2))


def converter_specs(value: Any, known: Collection[str]) -> list[ConverterSpec]:
    """A rule's ``convert`` as (name, argument) pairs; ValueError for a bad entry or a name not in ``known``.

    ``date`` | ``[strip, {codes: purpose}]`` -> ``[("date", None)]`` | ``[("strip", None), ("codes", "purpose")]``.
    """
    items = value if isinstance(value, list) else [value]
    specs: list[ConverterSpec] = []
    for item in items:
        if isinstance(item, str):
            name, arg = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, arg = next(iter(item.items()))
        else:
            raise ValueError("each converter is a name or a one-key mapping {name: argument}")
        if name not in known:
            raise ValueError(f"unknown converter {name!r} (known: {', '.join(sorted(known))})")
        specs.append((name, arg))
    return specs


def known_document(value: str) -> str:
    """A mapping's ``document``: one of the canonical documents."""
    if value not in DOCUMENTS:
        raise ValueError(f"unknown document {value!r} (known: {', '.join(sorted(DOCUMENTS))})")
    return value


def nonempty_code_lists(value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """A mapping's ``code_lists``: no list may be empty (an empty one translates nothing)."""
    for name, table in value.items():
        if not table:
            raise ValueError(f"code list {name!r} is empty")
    return value


def _check_tag(text: str) -> str:
    if SEGMENT_TAG.fullmatch(text) is None:
        raise ValueError(f"{text!r} is not a segment tag (2-3 upper-case letters/digits, e.g. N1, PO1)")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoopDef(_Strict):
    """A loop: its start segment, member segments and nested loops (``start`` defaults to the loop name)."""

    start: str | None = None
    members: list[str] = Field(default_factory=list)
    loops: dict[str, LoopDef] = Field(default_factory=dict)

    @field_validator("start")
    @classmethod
    def _start_tag(cls, value: str | None) -> str | None:
        return None if value is None else _check_tag(value)

    @field_validator("members")
    @classmethod
    def _member_tags(cls, value: list[str]) -> list[str]:
        return [_check_tag(tag) for tag in value]

    @field_validator("loops")
    @classmethod
    def _loop_names(cls, value: dict[str, LoopDef]) -> dict[str, LoopDef]:
        for name in value:
            if LOOP_NAME.fullmatch(name) is None:
                raise ValueError(f"{name!r} is not a loop name")
        return value


class Rule(_Strict):
    """One field's rule (see the module docstring for the shapes)."""

    path: str | None = None
    loop: str | None = None
    where: dict[str, list[str]] = Field(default_factory=dict)
    qualifier: list[str] | None = None
    pairs: tuple[int, int] | None = None
    scope: Literal["loop", "header"] = "loop"
    join: str | None = None
    convert: list[ConverterSpec] = Field(default_factory=list)
    default: str | None = None
    required: bool = False
    fields: dict[str, Rule] | None = None
    fallback: Rule | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """``po_number: BEG03`` is ``po_number: {path: BEG03}``."""
        return {"path": data} if isinstance(data, str) else data

    @field_validator("path")
    @classmethod
    def _path_syntax(cls, value: str | None) -> str | None:
        """An element reference (BEG03), or a bare segment tag (PO1) for qualifier pairs."""
        if value is not None and SEGMENT_TAG.fullmatch(value) is None:
            parse_element_ref(value)
        return value

    @field_validator("where", mode="before")
    @classmethod
    def _where_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("where")
    @classmethod
    def _where_refs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for ref, codes in value.items():
            parse_element_ref(ref)
            if not codes:
                raise ValueError(f"where {ref}: give at least one code")
        return value

    @field_validator("qualifier", mode="before")
    @classmethod
    def _qualifier_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("convert", mode="before")
    @classmethod
    def _convert_specs(cls, value: Any) -> Any:
        return converter_specs(value, CONVERTERS)

    @field_validator("pairs")
    @classmethod
    def _pairs_range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None:
            low, high = value
            if low < 1 or high <= low or (high - low) % 2 == 0:
                raise ValueError("pairs [first qualifier element, last value element] must span whole pairs, "
                                 "e.g. [6, 25]")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.fields is not None:
            self._check_container()
        else:
            self._check_scalar()
        return self

    def _check_container(self) -> None:
        for key in ("path", "qualifier", "pairs", "join", "default", "fallback"):
            if getattr(self, key) is not None:
                raise ValueError(f"a rule with 'fields' cannot have '{key}'")
        if self.convert:
            raise ValueError("a rule with 'fields' cannot have 'convert'")
        for ref in self.where:
            if self.loop is None:
                raise ValueError(f"'where: {ref}' on a rule with 'fields' needs 'loop'")

    def _check_scalar(self) -> None:
        if self.path is None:
            if self.default is None:
                raise ValueError("a rule needs 'path' (or 'fields', or a constant 'default')")
            return
        if self.qualifier is not None or self.pairs is not None:
            if self.qualifier is None or self.pairs is None:
                raise ValueError("'qualifier' and 'pairs' go together")
            if SEGMENT_TAG.fullmatch(self.path) is None:
                raise ValueError(f"with 'qualifier', 'path' names the segment whose pairs are searched (e.g. PO1), "
                                 f"not {self.path!r}")
        elif ELEMENT_REF.fullmatch(self.path) is None:
            raise ValueError(f"'path' {self.path!r} needs an element number (e.g. {self.path}01), or give "
                             "'qualifier' and 'pairs'")


class MappingFile(_Strict):
    """A whole mapping, after merging the ``extends`` chain."""

    transaction_set: str = Field(pattern=r"^[0-9]{3}$")
    versions: list[str] = Field(min_length=1)
    document: str = "purchase_order"
    description: str | None = None
    loops: dict[str, LoopDef] = Field(default_factory=dict)
    code_lists: dict[str, dict[str, str]] = Field(default_factory=dict)
    fields: dict[str, Rule]

    _known_document = field_validator("document")(known_document)
    _code_lists_shape = field_validator("code_lists")(nonempty_code_lists)

    @field_validator("versions")
    @classmethod
    def _version_prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if re.fullmatch(r"[0-9]{1,6}[A-Z0-9]*", prefix) is None:
                raise ValueError(f"{prefix!r} is not a GS08 version prefix (e.g. 0040, 004010)")
        return value
