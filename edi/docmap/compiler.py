"""Compiling a validated XML/CSV mapping into plans, checked against the canonical model and lxml.

Every problem raises :class:`~edi.mapping.MappingError` with the file and line of the
offending rule: a field the model does not have, a rule whose shape does not fit the
field, a converter chain producing the wrong type, an XPath that does not compile or
uses an undeclared namespace prefix, a CSV rule reading an XPath (or the reverse), a
model-required field that is not mapped as required.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from pydantic import BaseModel

from edi.docmap.convert import DOC_CONVERTERS
from edi.docmap.model import DocMappingFile, DocRule, EnvelopeRules
from edi.docmap.plan import FieldPlan, GroupPlan, ScalarPlan, Source
from edi.mapping.convert import Converter, build_chain
from edi.mapping.rulecheck import RuleChecker, field_shape
from edi.mapping.yamlsrc import YamlMap, YamlPath

__all__ = ["DocCompiler", "field_shape"]


class DocCompiler(RuleChecker):
    """Turns one merged mapping into field plans; collects the CSV columns that identify its layout."""

    converters = DOC_CONVERTERS
    type_hints = {"date": "isodate (or date_format)", "Decimal": "decimal"}
    engine_filled_hint = "is filled by the engine (use 'envelope:' for identifiers)"

    def __init__(self, mapping: DocMappingFile, raw: YamlMap) -> None:
        super().__init__(raw, mapping.code_lists)
        self.mapping = mapping
        self.csv = mapping.source == "csv"
        self.required_columns: list[str] = []
        self._probe = etree.Element("probe")

    def root_tag(self) -> str | None:
        """The expected root in Clark notation (``{uri}Order``), None for CSV."""
        root = self.mapping.root
        if root is None:
            return None
        prefix, _, local = root.rpartition(":")
        if not prefix:
            return local
        if prefix not in self.mapping.namespaces:
            raise self.error(("root",), f"root {root!r} uses prefix {prefix!r}, which 'namespaces' does not declare")
        return f"{{{self.mapping.namespaces[prefix]}}}{local}"

    # -- fields ------------------------------------------------------------------------------

    def fields(self, rules: dict[str, DocRule], model: type[BaseModel], path: YamlPath, in_row: bool
               ) -> tuple[FieldPlan, ...]:
        """Plans for ``rules`` (the ``fields`` at ``path``) filling ``model``; ``in_row``: inside ``each: row``."""
        self.check_required(rules, model, path)
        plans = []
        for name, rule in rules.items():
            here = (*path, name)
            kind, target = self.model_field(name, model, here)
            plans.append(self.field(name, rule, kind, target, here, in_row))
        return tuple(plans)

    def field(self, name: str, rule: DocRule, kind: str, target: Any, path: YamlPath, in_row: bool) -> FieldPlan:
        if kind in ("scalar", "strings"):
            if rule.fields is not None:
                raise self.error((*path, "fields"), f"field {name!r} holds values: it takes a source, not 'fields'")
            if kind == "scalar" and rule.split is not None:
                raise self.error((*path, "split"), f"field {name!r} holds one value: 'split' is for lists")
            return self.scalar(name, rule, target, path, many=kind == "strings")
        if rule.fields is None:
            raise self.error(path, f"field {name!r} is an object: give it 'fields'")
        if kind == "list":
            return self._list(name, rule, target, path, in_row)
        if rule.each is not None:
            raise self.error((*path, "each"), f"field {name!r} is one object: select its node with 'at'")
        select = self.source("path", rule.at, (*path, "at")) if rule.at is not None else None
        fields = self.fields(rule.fields, target, (*path, "fields"), in_row)
        return GroupPlan(name, target, False, select, rule.required, self.info(path), fields)

    def _list(self, name: str, rule: DocRule, model: type[BaseModel], path: YamlPath, in_row: bool) -> GroupPlan:
        assert rule.fields is not None
        if rule.each is None:
            raise self.error(path, f"field {name!r} is a list: give it 'each' (" +
                             ("each: row" if self.csv else "the XPath of the repeated nodes") + ")")
        if rule.at is not None:
            raise self.error((*path, "at"), f"field {name!r} is a list: 'each' selects its nodes, not 'at'")
        if self.csv:
            if rule.each != "row" or in_row:
                raise self.error((*path, "each"), "in a csv mapping a list is 'each: row' (one item per row), "
                                                  "once per document")
            select = Source("meta", "row")
        else:
            select = self.source("path", rule.each, (*path, "each"))
        fields = self.fields(rule.fields, model, (*path, "fields"), in_row or self.csv)
        return GroupPlan(name, model, True, select, rule.required, self.info(path), fields)

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, name: str, rule: DocRule, target: Any, path: YamlPath, many: bool) -> ScalarPlan:
        chain = self.chain(rule, target, path)
        default = self._default(rule, chain, path, many)
        sources = tuple(self._sources(rule, path))
        if rule.required and sources and sources[0].kind == "column":
            self.required_columns.append(sources[0].text)
        split = re.compile(rule.split) if rule.split is not None else None
        return ScalarPlan(name, sources, chain, default, rule.required, many, split, rule.join, self.info(path))

    def chain(self, rule: DocRule, target: Any, path: YamlPath) -> Converter | None:
        """The rule's converters as one chain: see :meth:`RuleChecker.typed_steps`."""
        return build_chain([step for _, step in self.typed_steps(rule.convert, target, path)])

    def _default(self, rule: DocRule, chain: Converter | None, path: YamlPath, many: bool) -> Any:
        if rule.default is None:
            return [] if many else None
        value = self.converted_default(rule.default, chain, path)
        return [value] if many else value

    def _sources(self, rule: DocRule, path: YamlPath) -> list[Source]:
        if path and path[-1] == "fallback":
            for key in ("convert", "default", "required", "split", "join"):
                if getattr(rule, key):
                    raise self.error((*path, key), f"a fallback only says where else to look: '{key}' belongs "
                                                   "to the main rule")
        found: list[Source] = []
        for kind in ("path", "column", "meta"):
            text = getattr(rule, kind)
            if text is not None:
                found.append(self.source(kind, text, (*path, kind)))
        if rule.fallback is not None:
            if not found:
                raise self.error((*path, "fallback"), "a rule with only a default has nothing to fall back from")
            found += self._sources(rule.fallback, (*path, "fallback"))
        return found

    def source(self, kind: str, text: str, path: YamlPath) -> Source:
        """A checked source: CSV mappings read columns, XML mappings XPaths; metas fit both but one."""
        if kind == "column" and not self.csv:
            raise self.error(path, "'column' reads a CSV column; an xml mapping uses 'path' (an XPath)")
        if kind == "path" and self.csv:
            raise self.error(path, "'path' is an XPath; a csv mapping reads 'column'")
        if kind == "meta":
            if text == "doctype_system" and self.csv:
                raise self.error(path, "meta 'doctype_system' exists for xml files only")
            return Source("meta", text)
        if kind == "column":
            if not text.strip():
                raise self.error(path, "a column name cannot be blank")
            return Source("column", text)
        try:
            xpath = etree.XPath(text, namespaces=self.mapping.namespaces)
            xpath(self._probe)  # undeclared prefixes and unknown functions only show on evaluation
        except etree.XPathError as exc:
            raise self.error(path, f"XPath {text!r} is invalid: {exc}") from None
        return Source("path", text, xpath)

    # -- envelope ----------------------------------------------------------------------------

    def envelope(self, rules: EnvelopeRules) -> tuple[ScalarPlan, ...]:
        """Plans for the envelope identifiers (all text; ``document_id`` and ``version`` are required)."""
        plans = []
        for name in EnvelopeRules.model_fields:
            rule = getattr(rules, name)
            if rule is None:
                continue
            here: YamlPath = ("envelope", name)
            if rule.fields is not None:
                raise self.error((*here, "fields"), f"envelope {name!r} is one text value")
            required = rule.required or name in ("document_id", "version")
            plan = self.scalar(name, rule, str, here, many=False)
            plans.append(ScalarPlan(plan.name, plan.sources, plan.chain, plan.default, required, False, None,
                                    plan.join, plan.info))
        return tuple(plans)
