"""Building canonical models without re-validating values the engine has already typed.

``PurchaseOrder.model_validate`` costs more than the rest of mapping a purchase order.
On the fast path it would only confirm what the compiler has already guaranteed: every
scalar comes out of a converter chain whose output type was checked against the model
field at load time (``str``, ``Decimal``, ``date``), required fields are required rules,
and the fast path gives up on anything else. So the models are built the way
``BaseModel.model_construct`` builds them (same ``__dict__``, same fields-set), minus its
per-field alias/default bookkeeping, which :func:`constructible` rules out once per model.

:func:`constructible` is deliberately strict: any feature that would make validation do
more than check types (validators, constraints, aliases, default factories, extra fields,
private attributes, other field types) makes it refuse, and the mapping then always takes
the validating path. ``tests/test_mapping_differential.py`` checks that
``model_validate(doc.model_dump()) == doc`` for every document the fast path builds.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, PlainSerializer

_SCALARS = (str, Decimal, dt.date)
_set = object.__setattr__


def construct(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str]) -> Any:
    """An instance of ``cls`` holding ``values`` (every field, in field order) as-is.

    ``fields_set`` is what ``model_validate`` would record: the keys the input mapping had.
    """
    model = object.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def construct_lines(target: str, cls: str, values: str, fields_set: str) -> list[str]:
    """Python statements doing what :func:`construct` does, for generated code (``_new``/``_set`` are
    ``object.__new__``/``object.__setattr__`` in its namespace): saves a call per model."""
    return [f"{target} = _new({cls})",
            f"_set({target}, '__dict__', {values})",
            f"_set({target}, '__pydantic_fields_set__', {fields_set})",
            f"_set({target}, '__pydantic_extra__', None)",
            f"_set({target}, '__pydantic_private__', None)"]


def constructible(cls: type[BaseModel]) -> bool:
    """Whether ``construct`` gives exactly what validating engine-typed values would give."""
    decorators = cls.__pydantic_decorators__
    if (cls.model_config.get("extra") == "allow" or cls.__pydantic_post_init__ or cls.__private_attributes__
            or cls.__pydantic_root_model__ or decorators.field_validators or decorators.model_validators
            or decorators.validators or decorators.root_validators):
        return False
    for info in cls.model_fields.values():
        if info.alias is not None or info.validation_alias is not None or info.default_factory is not None:
            return False
        if not all(isinstance(meta, PlainSerializer) for meta in info.metadata):
            return False
        if not isinstance(info.default, (type(None), str)) and info.is_required() is False:
            return False
        if not _plain_annotation(info.annotation):
            return False
    return True


def _plain_annotation(annotation: Any) -> bool:
    """str / Decimal / date (serialiser-only metadata allowed) / Literal[str] / a constructible model / a list of
    those, optionally None."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and _plain_annotation(args[0])
    if typing.get_origin(annotation) is typing.Annotated:  # e.g. ExactDecimal inside an Optional
        base, *metadata = typing.get_args(annotation)
        return all(isinstance(meta, PlainSerializer) for meta in metadata) and _plain_annotation(base)
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(value, str) for value in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return isinstance(item, type) and issubclass(item, BaseModel) and constructible(item)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return constructible(annotation)
    return annotation in _SCALARS
