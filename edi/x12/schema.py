"""Transaction-set structure declared as data: file models, loader and compiled form.

Why data: the order of segments, loops, requirement designators and element
types of a transaction set are facts of the X12 standard, not logic. Keeping them
in YAML (in the spirit of Bots grammars and LinuxForHealth's x12 loops) lets a
reviewer check them against the published tables line by line, and lets another
set be added without touching the validator.

Files under ``edi/x12/schemas/``:

``elements.yaml``
    the data element dictionary: reference number -> type, min/max length and an
    optional code list; and composites (``C001`` ...) with their components.
``segments.yaml``
    the segment dictionary: tag -> ordered element usages (``"353 M"``), syntax
    rules (``P0304``...) and optional per-version variants.
``<set>.yaml``
    one transaction set (``850.yaml``): the versions it is declared for and its
    ordered structure of segments and loops with requirement and max use.

Every file is checked with pydantic (``extra="forbid"``) when it is loaded; a
mistake raises :class:`SchemaError` naming the file and the YAML path. The loaded
schema is compiled once into frozen dataclasses (:class:`SetSchema`) holding
everything the validator needs as tuples and read-only mappings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

SCHEMA_DIR = Path(__file__).with_name("schemas")
_SET_ID = re.compile(r"\d{3}")
_VERSION = re.compile(r"\d{6}")
_OPEN_MAX_LEN = 100_000  # undeclared ("open") elements: any printable text
_SHORT_DATES_BEFORE = "004010"  # DT may be YYMMDD (6 chars) before version 004010
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class SchemaError(ValueError):
    """A schema file is invalid; the message names the file and the YAML path."""


# -- file models (what the YAML may say) ---------------------------------------------

ElementType = Annotated[str, Field(pattern=r"^(AN|ID|DT|TM|R|B|N[0-9])$")]
Usage = Annotated[str, Field(pattern=r"^(\d{1,4}|C\d{3}) [MOX]( x\d{1,5})?$")]  # "353 M", "C998 M x10" (repeats)
Rule = Annotated[str, Field(pattern=r"^[PRECL](\d\d){2,}$")]
Version = Annotated[str, Field(pattern=r"^\d{6}$")]
SegTag = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")]
MaxUse = Annotated[int, Field(ge=1)] | Literal[">1"]


_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ElementModel(_Strict):
    name: str
    type: ElementType
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    codes: list[str] | None = None

    @model_validator(mode="after")
    def _lengths(self) -> ElementModel:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self


class CompositeModel(_Strict):
    name: str
    components: list[Usage] = Field(min_length=1)


class DictionaryModel(_Strict):
    elements: dict[Annotated[str, Field(pattern=r"^\d{1,4}$")], ElementModel]
    composites: dict[Annotated[str, Field(pattern=r"^C\d{3}$")], CompositeModel] = {}


class SegmentVariantModel(_Strict):
    elements: list[Usage] = []
    open_elements: int = Field(0, ge=0)  # trailing positions not described in detail: optional text
    rules: list[Rule] = []


class SegmentModel(SegmentVariantModel):
    name: str
    versions: dict[Version, SegmentVariantModel] = {}  # replaces elements/rules from that version on


class SegmentsModel(_Strict):
    segments: dict[SegTag, SegmentModel]


class SegEntry(_Strict):
    seg: SegTag
    req: Literal["M", "O"] = "O"
    max: MaxUse = 1


class LoopEntry(_Strict):
    loop: str = Field(pattern=r"^[A-Z0-9]{1,4}$")
    repeat: MaxUse
    body: list[Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _starts_with_segment(self) -> LoopEntry:
        if not isinstance(self.body[0], SegEntry):
            raise ValueError("a loop body must start with a segment")
        return self


def _entry_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "loop" if "loop" in value else "seg"
    return "loop" if isinstance(value, LoopEntry) else "seg"


Entry = Annotated[Annotated[SegEntry, Tag("seg")] | Annotated[LoopEntry, Tag("loop")], Discriminator(_entry_kind)]
LoopEntry.model_rebuild()


class SetModel(_Strict):
    set_id: str = Field(pattern=r"^\d{3}$")
    name: str
    versions: list[Version] = Field(min_length=1)
    notes: str = ""
    structure: list[Entry] = Field(min_length=1)


def _max_use(value: int | str) -> int | None:
    return None if value == ">1" else int(value)


def _parse_file(path: Path, model: type[_M]) -> _M:
    """Read one YAML file into ``model``; any problem becomes a SchemaError naming
    the file and the YAML path of the offending value."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"{path.name}: cannot read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise SchemaError(f"{path.name}: {problems}") from exc

__all__ = [
    "SCHEMA_DIR",
    "ElementDef",
    "LoopDef",
    "SchemaError",
    "SegmentDef",
    "SegmentUse",
    "SetSchema",
    "SyntaxRule",
    "load_schema",
    "load_schema_from",
]


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One element (or component) usage: position, reference number and checks."""

    position: int
    ref: str | None  # None for an undeclared ("open") position
    mandatory: bool
    type: str  # AN ID DT TM R B N0..N9, or "COMPOSITE"
    min_len: int
    max_len: int
    codes: frozenset[str] | None = None
    components: tuple[ElementDef, ...] = ()
    max_repeat: int = 1  # > 1: repeatable (005010+ repetition separator)


@dataclass(frozen=True, slots=True)
class SyntaxRule:
    """An X12 segment syntax note: P (paired), R (required), E (exclusion),
    C (conditional), L (list conditional) over element positions."""

    kind: str
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SegmentDef:
    tag: str
    name: str
    elements: tuple[ElementDef, ...]
    mandatory_positions: tuple[int, ...]
    rules: tuple[SyntaxRule, ...]


@dataclass(frozen=True, slots=True)
class SegmentUse:
    """A segment at one place of a loop body."""

    is_loop: ClassVar[bool] = False
    tag: str
    mandatory: bool
    max_use: int | None  # None: unbounded (">1")


@dataclass(frozen=True, slots=True)
class LoopDef:
    """A loop (or the whole set, ``loop_id`` None): its ordered children and,
    precompiled for the validator, where each entry tag sits in that order."""

    is_loop: ClassVar[bool] = True
    loop_id: str | None
    tag: str  # the loop's start segment
    mandatory: bool  # a loop is mandatory when its start segment is
    max_use: int | None  # loop repeat; None: unbounded
    children: tuple[SegmentUse | LoopDef, ...]
    entries: Mapping[str, tuple[int, ...]]  # tag -> child indexes it starts, ascending
    mandatory_children: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: the validator caches its plan per schema
class SetSchema:
    set_id: str
    name: str
    version: str  # the 6-character version the schema was compiled for (GS08[:6])
    base_version: str  # the declared version it was taken from
    root: LoopDef
    segments: Mapping[str, SegmentDef]
    tags: frozenset[str]  # every segment tag that occurs in the set


def load_schema(set_id: str, version: str) -> SetSchema | None:
    """The schema of ``set_id`` for GS08 ``version`` (``"004010VICS"``), or None when
    the set is not declared. Only the first six characters of the version count; an
    undeclared version falls back to the nearest declared one."""
    return _load_cached(set_id, version[:6])


@functools.lru_cache(maxsize=64)
def _load_cached(set_id: str, version: str) -> SetSchema | None:
    return load_schema_from(SCHEMA_DIR, set_id, version)


def load_schema_from(directory: Path, set_id: str, version: str) -> SetSchema | None:
    """Load and compile a schema from ``directory`` (uncached; tests and tools)."""
    if not _SET_ID.fullmatch(set_id):  # never build a path from untrusted text
        return None
    path = directory / f"{set_id}.yaml"
    if not path.is_file():
        return None
    model = _parse_file(path, SetModel)
    if model.set_id != set_id:
        raise SchemaError(f"{path.name}: set_id: declares {model.set_id!r}, file name says {set_id!r}")
    version = version[:6]
    base = _nearest_version(model.versions, version)
    effective = version if _VERSION.fullmatch(version) else base
    dictionary = _parse_file(directory / "elements.yaml", DictionaryModel)
    segment_file = _parse_file(directory / "segments.yaml", SegmentsModel)
    segments = _compile_segments(segment_file, dictionary, effective)
    root = _compile_root(model, segments, path.name)
    tags = frozenset(_walk_tags(root))
    used = {tag: segments[tag] for tag in sorted(tags)}
    return SetSchema(set_id, model.name, effective, base, root, _frozen_map(used), tags)


def _nearest_version(declared: list[str], version: str) -> str:
    if version in declared:
        return version
    if not _VERSION.fullmatch(version):
        return declared[0]
    wanted = int(version)
    return min(declared, key=lambda d: (abs(int(d) - wanted), int(d)))


def _frozen_map(data: dict) -> Mapping:
    return MappingProxyType(data)


# -- segments ------------------------------------------------------------------


def _compile_segments(seg_file: SegmentsModel, dictionary: DictionaryModel, version: str) -> dict[str, SegmentDef]:
    out: dict[str, SegmentDef] = {}
    for tag, seg in seg_file.segments.items():
        variant = _variant_for(seg.versions, version) or seg
        where = f"segments.yaml: segments.{tag}"
        elements = tuple(
            _element_from_usage(usage, pos, dictionary, version, f"{where}.elements.{pos - 1}")
            for pos, usage in enumerate(variant.elements, 1)
        )
        first_open = len(elements) + 1
        elements += tuple(
            ElementDef(pos, None, False, "AN", 1, _OPEN_MAX_LEN)
            for pos in range(first_open, first_open + variant.open_elements)
        )
        rules = tuple(_rule(text, len(elements), f"{where}.rules") for text in variant.rules)
        mandatory = tuple(el.position for el in elements if el.mandatory)
        out[tag] = SegmentDef(tag, seg.name, elements, mandatory, rules)
    return out


def _variant_for(variants: Mapping[str, SegmentVariantModel], version: str) -> SegmentVariantModel | None:
    """The variant declared for the latest version not after ``version``."""
    eligible = [v for v in variants if v <= version]
    return variants[max(eligible)] if eligible else None


def _element_from_usage(usage: str, position: int, dictionary: DictionaryModel, version: str,
                        where: str) -> ElementDef:
    ref, req, *repeat = usage.split(" ")
    mandatory = req == "M"
    max_repeat = int(repeat[0][1:]) if repeat else 1
    if ref.startswith("C"):
        composite = dictionary.composites.get(ref)
        if composite is None:
            raise SchemaError(f"{where}: composite {ref!r} is not declared in elements.yaml")
        components = tuple(
            _element_from_usage(comp, i, dictionary, version, f"elements.yaml: composites.{ref}.components.{i - 1}")
            for i, comp in enumerate(composite.components, 1)
        )
        return ElementDef(position, ref, mandatory, "COMPOSITE", 0, 0, None, components, max_repeat)
    spec = dictionary.elements.get(ref)
    if spec is None:
        raise SchemaError(f"{where}: data element {ref!r} is not declared in elements.yaml")
    min_len, max_len = spec.min, spec.max
    if spec.type == "DT" and version < _SHORT_DATES_BEFORE:
        min_len = 6  # YYMMDD by the standard; CCYYMMDD was common in practice since Y2K
        max_len = max(max_len, 8)
    codes = frozenset(spec.codes) if spec.codes is not None else None
    return ElementDef(position, ref, mandatory, spec.type, min_len, max_len, codes, (), max_repeat)


def _rule(text: str, element_count: int, where: str) -> SyntaxRule:
    positions = tuple(int(text[i:i + 2]) for i in range(1, len(text), 2))
    if any(p < 1 or p > element_count for p in positions):
        raise SchemaError(f"{where}: rule {text!r} names a position outside 1..{element_count}")
    return SyntaxRule(text[0], positions)


# -- structure -------------------------------------------------------------------


def _compile_root(model: SetModel, segments: Mapping[str, SegmentDef], file_name: str) -> LoopDef:
    children = tuple(
        _compile_entry(entry, segments, f"{file_name}: structure.{i}") for i, entry in enumerate(model.structure)
    )
    return _loop(None, False, 1, children)


def _compile_entry(entry: SegEntry | LoopEntry, segments: Mapping[str, SegmentDef],
                   where: str) -> SegmentUse | LoopDef:
    if isinstance(entry, SegEntry):
        if entry.seg not in segments:
            raise SchemaError(f"{where}.seg: segment {entry.seg!r} is not declared in segments.yaml")
        return SegmentUse(entry.seg, entry.req == "M", _max_use(entry.max))
    children = tuple(_compile_entry(child, segments, f"{where}.body.{i}") for i, child in enumerate(entry.body))
    return _loop(entry.loop, children[0].mandatory, _max_use(entry.repeat), children)


def _loop(loop_id: str | None, mandatory: bool, repeat: int | None,
          children: tuple[SegmentUse | LoopDef, ...]) -> LoopDef:
    entries: dict[str, list[int]] = {}
    # A loop's start segment is never matched inside its own instance: seeing it
    # again starts the next repetition, which the parent frame handles.
    first = 0 if loop_id is None else 1
    for index in range(first, len(children)):
        entries.setdefault(children[index].tag, []).append(index)
    frozen = _frozen_map({tag: tuple(indexes) for tag, indexes in entries.items()})
    required = tuple(i for i, child in enumerate(children) if child.mandatory)
    tag = children[0].tag
    return LoopDef(loop_id, tag, mandatory, repeat, children, frozen, required)


def _walk_tags(loop: LoopDef):
    for child in loop.children:
        if child.is_loop:
            yield from _walk_tags(child)  # type: ignore[arg-type]
        else:
            yield child.tag
