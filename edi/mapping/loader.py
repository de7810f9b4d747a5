"""Loading mapping files: ``extends`` chains, deep merging, validation with file/line errors.

A partner file states only what differs from the mapping it extends. Merging rules:
  * ``fields``: merged by field name; a field set to ``null`` is removed. An inherited
    container (a rule with ``fields``: ship_to, lines) is refined key by key: the
    partner's ``loop``/``where``/... override, its ``fields`` merge recursively. A value
    rule (one with ``path``) is replaced as a whole: a half-inherited value rule would
    be a puzzle to read.
  * ``loops``: merged by loop name, nested ``loops`` recursively; ``null`` removes.
  * ``code_lists``: merged by list name, then by code; ``null`` removes.
  * anything else (``transaction_set``, ``versions``, ``description``): replaced.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edi.mapping.errors import MappingError
from edi.mapping.model import MappingFile
from edi.mapping.yamlsrc import YamlMap, format_path, load_yaml, locate

_MAX_EXTENDS_DEPTH = 8
_PARTNER_DIR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def display_name(path: Path) -> str:
    """The file name used in messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_chain(path: Path, roots: Sequence[Path]) -> tuple[YamlMap, tuple[Path, ...]]:
    """Read ``path`` and the files it extends; return the merged raw mapping and the files, base first."""
    chain: list[tuple[Path, YamlMap]] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if any(resolved == seen.resolve() for seen, _ in chain):
            last_path, last_data = chain[-1]
            raise MappingError(display_name(last_path), "extends", last_data.origins["extends"][1],
                               f"'extends' makes a cycle through {display_name(current)}")
        if len(chain) >= _MAX_EXTENDS_DEPTH:
            raise MappingError(display_name(current), "extends", None, "'extends' chain is too deep")
        data = _read_file(current)
        chain.append((current, data))
        current = _resolve_extends(current, data, roots)
    merged = YamlMap(chain[-1][1].start)
    for _, data in reversed(chain):
        merged = merge_mapping(merged, data)
    return merged, tuple(p for p, _ in reversed(chain))


def _read_file(path: Path) -> YamlMap:
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(name, "", None, "mapping file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(name, "", None, f"cannot read mapping file: {exc}") from exc
    return load_yaml(text, name)


def _resolve_extends(path: Path, data: YamlMap, roots: Sequence[Path]) -> Path | None:
    target = data.get("extends")
    if target is None:
        return None
    line = data.origins["extends"][1]
    if not isinstance(target, str) or not target.endswith((".yaml", ".yml")) or target.startswith("/"):
        raise MappingError(display_name(path), "extends", line,
                           f"'extends' names a mapping file relative to a mapping root, e.g. default/850.yaml, "
                           f"not {target!r}")
    for root in roots:
        candidate = root / target
        if candidate.is_file():
            return candidate
    searched = ", ".join(display_name(r) for r in roots) or "no roots given"
    raise MappingError(display_name(path), "extends", line,
                       f"cannot find {target!r} under the mapping roots ({searched})")


# -- merging -------------------------------------------------------------------------------------

def merge_mapping(base: YamlMap, over: YamlMap) -> YamlMap:
    """Merge a whole file ``over`` onto ``base`` (see the module docstring)."""
    result = base.copy_map()
    for key, value in over.items():
        origin = over.origins[key]
        if key == "extends":
            continue
        if key in ("fields", "loops", "code_lists") and isinstance(value, YamlMap):
            current = result.get(key)
            start = current if isinstance(current, YamlMap) else YamlMap(value.start)
            merge = {"fields": _merge_fields, "loops": _merge_loops, "code_lists": _merge_code_lists}[key]
            result.set(key, merge(start, value), origin)
        else:
            result.set(key, value, origin)
    return result


def _merge_named(base: YamlMap, over: YamlMap, merge_item: Any) -> YamlMap:
    result = base.copy_map()
    result.start = over.start
    for name, value in over.items():
        if value is None:
            result.pop(name, None)
            result.origins.pop(name, None)
            continue
        current = result.get(name)
        merged = merge_item(current, value) if isinstance(current, YamlMap) and isinstance(value, YamlMap) else value
        result.set(name, _strip_nulls(merged), over.origins[name])
    return result


def _strip_nulls(value: Any) -> Any:
    """Inside a freshly stated rule/loop, ``null`` means 'not set' (drop it so defaults apply)."""
    if isinstance(value, YamlMap):
        out = YamlMap(value.start)
        for key, item in value.items():
            if item is not None:
                out.set(key, _strip_nulls(item), value.origins[key])
        return out
    return value


def _merge_fields(base: YamlMap, over: YamlMap) -> YamlMap:
    return _merge_named(base, over, _merge_rule)


def _merge_rule(base: YamlMap, over: YamlMap) -> YamlMap:
    if "fields" not in base or "path" in over or "default" in over:
        return over
    return _merge_keys(base, over, "fields", _merge_fields)


def _merge_loops(base: YamlMap, over: YamlMap) -> YamlMap:
    return _merge_named(base, over, lambda b, o: _merge_keys(b, o, "loops", _merge_loops))


def _merge_code_lists(base: YamlMap, over: YamlMap) -> YamlMap:
    return _merge_named(base, over, lambda b, o: _merge_named(b, o, lambda _b, v: v))


def _merge_keys(base: YamlMap, over: YamlMap, nested: str, merge_nested: Any) -> YamlMap:
    """Override ``base``'s keys with ``over``'s, merging the ``nested`` key with ``merge_nested``."""
    result = base.copy_map()
    for key, value in over.items():
        if key == nested and isinstance(value, YamlMap) and isinstance(result.get(key), YamlMap):
            result.set(key, merge_nested(result[key], value), over.origins[key])
        elif value is None:
            result.pop(key, None)
            result.origins.pop(key, None)
        else:
            result.set(key, value, over.origins[key])
    return result


# -- validation ----------------------------------------------------------------------------------

def validate_mapping(merged: YamlMap) -> MappingFile:
    """Validate the merged raw mapping; the first problem becomes a MappingError with its origin."""
    try:
        return MappingFile.model_validate(merged)
    except ValidationError as exc:
        problems = exc.errors(include_url=False)
        first = problems[0]
        loc = tuple(part for part in first["loc"] if isinstance(part, (str, int)))
        file, line = locate(merged, loc)
        message = _message(first)
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem(s))"
        raise MappingError(file, format_path(loc), line, message) from None


def _message(problem: Any) -> str:
    text = str(problem["msg"])
    text = text.removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        return f"unknown key {problem['loc'][-1]!r}"
    if problem["type"] == "missing":
        return f"required key {problem['loc'][-1]!r} is missing"
    return text


def mapping_versions(path: Path, roots: Sequence[Path]) -> tuple[str, ...]:
    """The GS08 version prefixes a mapping file handles (following ``extends``)."""
    merged, _ = read_chain(path, roots)
    versions = merged.get("versions")
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        file, line = locate(merged, ("versions",))
        raise MappingError(file, "versions", line, "'versions' must be a list of GS08 version prefixes")
    return tuple(versions)


def find_mapping(set_id: str, version: str, partner: str | None, roots: Sequence[Path]) -> Path | None:
    """The mapping file for a transaction set: the partner's own, else the default.

    Looks for ``<root>/partners/<partner>/<set_id>.yaml`` then ``<root>/default/<set_id>.yaml``
    in each root, and returns the first whose declared versions prefix ``version`` (GS08).
    """
    if partner is not None and _PARTNER_DIR.fullmatch(partner) is None:
        raise ValueError(f"partner id {partner!r} cannot name a mapping folder")
    if not re.fullmatch(r"[0-9]{3}", set_id):
        return None
    candidates = []
    if partner is not None:
        candidates += [root / "partners" / partner / f"{set_id}.yaml" for root in roots]
    candidates += [root / "default" / f"{set_id}.yaml" for root in roots]
    for candidate in candidates:
        if candidate.is_file() and any(version.startswith(p) for p in mapping_versions(candidate, roots)):
            return candidate
    return None
