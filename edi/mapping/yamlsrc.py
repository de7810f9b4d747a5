"""YAML reading that remembers where every key and item came from.

A mapping is merged from several files (a partner file over the default), so a line
number alone is not enough: each key keeps its ``(file, line)`` origin through the
merge, and any error found later (pydantic validation, compilation) can point at the
exact file and line that introduced the offending value.

Every scalar is read as a string except ``null``/``~``: X12 codes such as ``010`` or
``00`` must keep their leading zeros (YAML 1.1 would read ``010`` as the number 8),
and pydantic turns ``"true"`` or ``"6"`` into bool/int where the model asks for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from edi.mapping.errors import MappingError

Origin = tuple[str, int]  # (display file name, 1-based line)
YamlPath = tuple[str | int, ...]


class YamlMap(dict[str, Any]):
    """A mapping node: a dict that also knows each key's origin and its own."""

    def __init__(self, start: Origin, items: dict[str, Any] | None = None,
                 origins: dict[str, Origin] | None = None) -> None:
        super().__init__(items or {})
        self.start = start
        self.origins: dict[str, Origin] = dict(origins or {})

    def set(self, key: str, value: Any, origin: Origin) -> None:
        self[key] = value
        self.origins[key] = origin

    def copy_map(self) -> YamlMap:
        return YamlMap(self.start, dict(self), self.origins)


class YamlList(list[Any]):
    """A sequence node: a list that also knows each item's origin and its own."""

    def __init__(self, start: Origin, items: Sequence[Any] = (), origins: Sequence[Origin] = ()) -> None:
        super().__init__(items)
        self.start = start
        self.origins: list[Origin] = list(origins)


class _OriginLoader(yaml.SafeLoader):
    """SafeLoader that records node origins and keeps scalars as strings."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # own table: no YAML 1.1 int/bool/float

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file

    def origin(self, node: yaml.Node) -> Origin:
        return (self.file, node.start_mark.line + 1)

    def construct_origin_map(self, node: yaml.MappingNode) -> Any:
        data = YamlMap(self.origin(node))
        yield data
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise MappingError(self.file, "", key_node.start_mark.line + 1, f"mapping key {key!r} is not text")
            if key in data:
                raise MappingError(self.file, key, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            data.set(key, self.construct_object(value_node, deep=True), self.origin(key_node))

    def construct_origin_list(self, node: yaml.SequenceNode) -> Any:
        data = YamlList(self.origin(node))
        yield data
        for item in node.value:
            data.append(self.construct_object(item, deep=True))
            data.origins.append(self.origin(item))


_OriginLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_OriginLoader.add_constructor("tag:yaml.org,2002:map", _OriginLoader.construct_origin_map)
_OriginLoader.add_constructor("tag:yaml.org,2002:seq", _OriginLoader.construct_origin_list)


def load_yaml(text: str, file: str) -> YamlMap:
    """Parse ``text`` (the contents of ``file``) into a :class:`YamlMap`.

    Raises :class:`MappingError` for YAML syntax errors, duplicate keys and a
    document that is not a mapping.
    """
    loader = _OriginLoader(text, file)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise MappingError(file, "", line, f"YAML syntax error: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise MappingError(file, "", None, f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, YamlMap):
        raise MappingError(file, "", 1, "a mapping file must be a YAML mapping (key: value)")
    return data


def format_path(path: YamlPath) -> str:
    """``("fields", "lines", "convert", 1)`` -> ``"fields.lines.convert[1]"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def locate(data: YamlMap, path: YamlPath) -> Origin:
    """The origin of the deepest node along ``path`` that exists in ``data``."""
    origin = data.start
    node: Any = data
    for part in path:
        if isinstance(node, YamlMap) and isinstance(part, str) and part in node:
            origin = node.origins.get(part, origin)
            node = node[part]
        elif isinstance(node, YamlList) and isinstance(part, int) and 0 <= part < len(node):
            origin = node.origins[part] if part < len(node.origins) else origin
            node = node[part]
        else:
            break
    return origin
