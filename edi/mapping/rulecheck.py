"""What the X12 and the XML/CSV mapping compilers check the same way.

Both compile validated rules into plans against the canonical model and report every
problem as a :class:`MappingError` with the file and line of the rule. The checks that
do not depend on the source format live here, once: the shape of a model field, field
names the model has (and the engine fills), model-required fields mapped as required,
converter chains typed from text to the field's type, and defaults that convert.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from edi.canonical import ENGINE_FILLED
from edi.mapping.convert import ConversionError, Converter, ConverterDef
from edi.mapping.errors import MappingError
from edi.mapping.results import RuleInfo
from edi.mapping.yamlsrc import YamlMap, YamlPath, format_path, locate


def field_shape(annotation: Any) -> tuple[str, Any]:
    """("scalar", type) | ("strings", str) | ("object", model) | ("list", model) of a model field."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        item = typing.get_args(annotation)[0]
        return ("list", item) if isinstance(item, type) and issubclass(item, BaseModel) else ("strings", item)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object", annotation
    return "scalar", annotation


class RuleChecker:
    """Locates rules in the YAML source and runs the format-independent checks.

    Subclasses say which converters their rules may name, what to suggest when a chain
    produces the wrong type, and how to explain an engine-filled field.
    """

    converters: ClassVar[Mapping[str, ConverterDef]]
    type_hints: ClassVar[Mapping[str, str]]  # target type name -> the converter to suggest
    engine_filled_hint: ClassVar[str]  # completes "field 'x' ..."

    def __init__(self, raw: YamlMap, code_lists: Mapping[str, Mapping[str, str]]) -> None:
        self.raw = raw
        self.code_lists = code_lists

    def error(self, path: YamlPath, message: str) -> MappingError:
        file, line = locate(self.raw, path)
        return MappingError(file, format_path(path), line, message)

    def info(self, path: YamlPath, tag: str | None = None, elem: int | None = None) -> RuleInfo:
        file, line = locate(self.raw, path)
        return RuleInfo(file, format_path(path), line, tag, elem)

    def model_field(self, name: str, model: type[BaseModel], path: YamlPath) -> tuple[str, Any]:
        """The shape of ``model``'s field ``name`` (see :func:`field_shape`); an error for one not to be mapped."""
        if name in ENGINE_FILLED:
            raise self.error(path, f"field {name!r} {self.engine_filled_hint}")
        if name not in model.model_fields:
            known = ", ".join(n for n in model.model_fields if n not in ENGINE_FILLED)
            raise self.error(path, f"unknown field {name!r} for {model.__name__} (fields: {known})")
        return field_shape(model.model_fields[name].annotation)

    def check_required(self, rules: Mapping[str, Any], model: type[BaseModel], path: YamlPath) -> None:
        """Every field ``model`` requires is mapped, and a required value is mapped with ``required: true``."""
        for name, info in model.model_fields.items():
            if not info.is_required() or name in ENGINE_FILLED:
                continue
            if name not in rules:
                raise self.error(path, f"field {name!r} is required by {model.__name__} and must be mapped")
            if field_shape(info.annotation)[0] == "scalar" and not rules[name].required:
                raise self.error((*path, name), f"field {name!r} is required by {model.__name__}: "
                                                "set 'required: true'")

    def typed_steps(self, convert: Sequence[tuple[str, Any]], target: Any, path: YamlPath
                    ) -> list[tuple[str, Converter]]:
        """A rule's converters, built and type-checked: each needs text, the last must produce ``target``."""
        steps: list[tuple[str, Converter]] = []
        produced: type = str
        for index, (conv_name, arg) in enumerate(convert):
            here = (*path, "convert", index)
            if produced is not str:
                raise self.error(here, f"converter {conv_name!r} needs text but follows a converter "
                                       f"producing {produced.__name__}")
            spec = self.converters[conv_name]
            try:
                steps.append((conv_name, spec.build(arg, self.code_lists)))
            except ValueError as exc:
                raise self.error(here, str(exc)) from None
            produced = spec.output
        if produced is not target:
            hint = self.type_hints.get(target.__name__, "")
            raise self.error(path, f"this field needs a {target.__name__} value but the rule produces "
                                   f"{produced.__name__}" + (f": add 'convert: {hint}'" if hint else ""))
        return steps

    def converted_default(self, default: str | None, chain: Converter | None, path: YamlPath) -> Any:
        """The rule's constant ``default`` through its converters (None without one); an error if it fails."""
        if default is None or chain is None:
            return default
        try:
            return chain(default, "")
        except ConversionError as exc:
            raise self.error((*path, "default"), f"default {default!r} does not convert: {exc}") from None
