"""The compiled form of a mapping: checked, resolved rules that two back-ends execute.

The compiler (``edi.mapping.compiler``) turns a validated mapping into a tree of
plans once, doing every whole-mapping check on the way. Two back-ends run a plan:

* ``edi.mapping.evaluators``: closures that report every error and, on request, an
  explain trace per field. This is the reference behaviour.
* ``edi.mapping.codegen``: specialised Python source, compiled once per mapping, that
  maps a clean transaction set several times faster and gives up (so the reference
  path runs) at the first thing that would be an error.

Keeping the plan separate from both is what lets a test prove they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from edi.mapping.convert import Converter
from edi.mapping.results import RuleInfo

Tests = tuple[tuple[int, frozenset[str]], ...]  # where-tests on one segment: (element position, accepted codes)
LoopTests = tuple[tuple[str, int, frozenset[str]], ...]  # where-tests on a loop: (tag, element, codes)


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """Where a scalar value is looked up: one segment tag in one loop context.

    ``qualifiers`` non-empty: the value after the first of them (in preference order)
    in the element pairs ``first``..``last``. Otherwise element ``elem``, all matches
    joined with ``join`` when it is set. ``loop``: search the current context's child
    loops of that name; ``header``: start from the header instead of the current loop.
    """

    tag: str
    elem: int
    tests: Tests
    header: bool
    loop: str | None = None
    join: str | None = None
    qualifiers: tuple[str, ...] = ()
    first: int = 0
    last: int = 0


@dataclass(frozen=True, slots=True)
class ScalarPlan:
    """A single-value field: its sources in order (the rule, then its fallbacks), conversion, default.

    No sources means a constant (the rule has only a default). ``steps`` are the converter
    names with their built callables (folded into ``chain``); ``output`` is the chain's type.
    """

    name: str
    sources: tuple[SourcePlan, ...]
    steps: tuple[tuple[str, Converter], ...]
    chain: Converter | None
    output: type
    default: Any
    required: bool
    info: RuleInfo


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """An object (``many`` False: the first matching loop instance) or a list (one item per instance).

    ``loop`` None (objects only) fills the object from the current context itself.
    """

    name: str
    many: bool
    model: type[BaseModel]
    loop: str | None
    loop_tests: LoopTests
    header: bool
    required: bool
    info: RuleInfo
    fields: tuple[FieldPlan, ...]


FieldPlan = ScalarPlan | GroupPlan
