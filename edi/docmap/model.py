"""Pydantic models of an XML/CSV mapping file (after ``extends`` merging).

These check the *shape* of a mapping (known keys only, one source per rule, the keys a
source kind allows); what needs the canonical model or lxml (field names, converter
output types, XPath syntax and namespace prefixes) is checked by ``edi.docmap.compiler``.

File keys::

    source: xml | csv            document: purchase_order | bill_of_materials | ...
    root: ubl:Order              namespaces: {ubl: urn:..., cbc: urn:...}        (xml)
    delimiter: ","  encoding: utf-8  group_by: PO Number  match_columns: [..]     (csv)
    code_lists: {..}   envelope: {document_id: .., sender_id: .., ..}   fields: {..}

Rule shapes (all keys optional unless said)::

    scalar:  {path: "@orderID" | column: "PO Number" | meta: file_stem, convert: [..],
              default: .., required: true, fallback: {path: ..}, join: " ", split: "[ ,]+"}
             or just the path (xml) / column (csv) as a string
    object:  {at: ShipTo/Address, fields: {..}}   (xml: first node the path selects)
             {fields: {..}}                       (same node / row)
    list:    {each: ItemOut, fields: {..}}        (xml: one item per selected node)
             {each: row, fields: {..}}            (csv: one item per row of the document)
"""

from __future__ import annotations

import codecs
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from edi.docmap.convert import DOC_CONVERTERS
from edi.mapping.model import ConverterSpec, converter_specs, known_document, nonempty_code_lists

Meta = Literal["file_name", "file_stem", "doctype_system", "position"]
_PREFIX = re.compile(r"[A-Za-z_][\w.\-]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocRule(_Strict):
    """One field's rule (see the module docstring for the shapes)."""

    path: str | None = None
    column: str | None = None
    meta: Meta | None = None
    at: str | None = None
    each: str | None = None
    split: str | None = None
    join: str | None = None
    convert: list[ConverterSpec] = Field(default_factory=list)
    default: str | None = None
    required: bool = False
    fields: dict[str, DocRule] | None = None
    fallback: DocRule | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any, info: ValidationInfo) -> Any:
        """``po_number: "@orderID"`` is ``{path: "@orderID"}`` (xml) or ``{column: ...}`` (csv)."""
        if isinstance(data, str):
            key = "column" if (info.context or {}).get("source") == "csv" else "path"
            return {key: data}
        return data

    @field_validator("convert", mode="before")
    @classmethod
    def _convert_specs(cls, value: Any) -> Any:
        """``isodate`` | ``[strip, {codes: purpose}]`` -> ``[("isodate", None)]`` | ``[("strip", None), ...]``."""
        return converter_specs(value, DOC_CONVERTERS)

    @field_validator("split")
    @classmethod
    def _split_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise ValueError(f"'split' is not a valid regular expression: {exc}") from None
            if pattern.match(""):
                raise ValueError("'split' must not match the empty string (e.g. use '[ ,]+', not '[ ,]*')")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DocRule:
        sources = [k for k in ("path", "column", "meta") if getattr(self, k) is not None]
        if len(sources) > 1:
            raise ValueError(f"a rule reads one source: {' and '.join(sources)} given")
        if self.fields is not None:
            for key in ("path", "column", "meta", "split", "join", "default", "fallback"):
                if getattr(self, key) is not None:
                    raise ValueError(f"a rule with 'fields' cannot have '{key}'")
            if self.convert:
                raise ValueError("a rule with 'fields' cannot have 'convert'")
            if self.at is not None and self.each is not None:
                raise ValueError("'at' (one node) and 'each' (a list) exclude each other")
        else:
            for key in ("at", "each"):
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' selects the node(s) of a rule with 'fields'")
            if not sources and self.default is None:
                raise ValueError("a rule needs 'path', 'column' or 'meta' (or 'fields', or a constant 'default')")
            if self.split is not None and self.join is not None:
                raise ValueError("'split' (many values) and 'join' (one value) exclude each other")
        return self


class EnvelopeRules(_Strict):
    """Where the envelope's identifiers come from (the engine builds the Envelope; see ``edi.docmap.engine``)."""

    document_id: DocRule
    message_id: DocRule | None = None
    sender_qualifier: DocRule | None = None
    sender_id: DocRule | None = None
    receiver_qualifier: DocRule | None = None
    receiver_id: DocRule | None = None
    version: DocRule


class DocMappingFile(_Strict):
    """A whole XML or CSV mapping, after merging the ``extends`` chain."""

    source: Literal["xml", "csv"]
    document: str
    description: str | None = None
    root: str | None = None
    namespaces: dict[str, str] = Field(default_factory=dict)
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    encoding: str | None = None
    group_by: str | None = None
    match_columns: list[str] = Field(default_factory=list)
    code_lists: dict[str, dict[str, str]] = Field(default_factory=dict)
    envelope: EnvelopeRules
    fields: dict[str, DocRule]

    _known_document = field_validator("document")(known_document)
    _code_lists_shape = field_validator("code_lists")(nonempty_code_lists)

    @field_validator("namespaces")
    @classmethod
    def _prefixes(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix, uri in value.items():
            if _PREFIX.fullmatch(prefix) is None or not uri:
                raise ValueError(f"namespace {prefix!r}: give a prefix (letters, digits, _ . -) and a URI")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        """A stated encoding must exist: a typo would otherwise surface only when the first file arrives."""
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, cp1252, utf-16)") from None
        return value

    @model_validator(mode="after")
    def _source_keys(self) -> DocMappingFile:
        if self.source == "xml":
            if self.root is None:
                raise ValueError("an xml mapping needs 'root' (the expected root element, e.g. cXML or ubl:Order)")
            for key in ("delimiter", "encoding", "group_by"):
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' belongs to csv mappings")
            if self.match_columns:
                raise ValueError("'match_columns' belongs to csv mappings")
        elif self.root is not None or self.namespaces:
            raise ValueError("'root' and 'namespaces' belong to xml mappings")
        return self
