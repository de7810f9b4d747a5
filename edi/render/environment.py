"""Template lookup and the sandboxed Jinja environment every outbound document is rendered in.

Why a sandbox: templates are data that partner administrators edit. The
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` refuses private attributes and
methods that mutate, :class:`~jinja2.StrictUndefined` turns a misspelt variable into an
error instead of an empty element, and the loader reads only below the template roots
(names with ``..`` are refused by Jinja's loader).

Lookup goes over the roots in order: a partner's ``mappings/partners/<id>/templates``
first, then the default ``mappings/templates``, so a partner overrides exactly the
templates it has (including included/imported ones, e.g. a code table).

One :class:`TemplateSet` holds one environment; Jinja compiles each template once and
keeps it, so the rendering path costs no parsing. :class:`TemplateLibrary` keeps one
set per partner for the life of the gateway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from pydantic import BaseModel

from edi.render.errors import RenderError, TemplateValueError, template_frame
from edi.render.filters import FILTERS, GLOBALS

_ESCAPED_SUFFIXES = (".xml", ".html")
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")
_PARTNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _strip_template_suffix(name: str) -> str:
    for suffix in _TEMPLATE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_markup(name: str) -> bool:
    """Whether a template writes XML/HTML (``foo.xml.j2``): autoescaped, output checked for XML characters."""
    return _strip_template_suffix(name.lower()).endswith(_ESCAPED_SUFFIXES)


def _autoescape(name: str | None) -> bool:
    return name is not None and is_markup(name)


def _blank_none(value: Any) -> Any:
    """``{{ x }}`` of a None writes nothing, not the word "None" (an absent optional value)."""
    return "" if value is None else value


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a fast path for the declared fields of pydantic models.

    Canonical documents are pydantic models whose declared fields are plain data. The
    generic attribute check (several isinstance tests against ABCs per access) dominated
    rendering time, so reading a declared field skips it; every other attribute (methods,
    private or internal names) still goes through the sandbox's checks.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._fields: dict[type, frozenset[str]] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:
        cls = type(obj)
        fields = self._fields.get(cls)
        if fields is None:
            fields = self._fields[cls] = frozenset(cls.model_fields) if issubclass(cls, BaseModel) else frozenset()
        if attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


class TemplateSet:
    """The templates of one partner: an ordered list of root folders and their environment.

    ``auto_reload`` re-reads a template whose file changed (one ``stat`` per render);
    turn it off where templates are only changed by a restart.
    """

    def __init__(self, roots: Sequence[Path], *, auto_reload: bool = True) -> None:
        if not roots:
            raise ValueError("a template set needs at least one root folder")
        self.roots = tuple(Path(root).resolve() for root in roots)
        self.env = _Sandbox(
            loader=FileSystemLoader([str(root) for root in self.roots], followlinks=False),
            undefined=StrictUndefined,
            autoescape=_autoescape,
            auto_reload=auto_reload,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_blank_none,
        )
        self.env.filters.update(FILTERS)
        self.env.globals.update(GLOBALS)

    def get(self, name: str) -> Template:
        """The compiled template ``name`` (cached by Jinja); RenderError when missing or invalid."""
        try:
            return self.env.get_template(name)
        except TemplateNotFound as exc:
            raise RenderError("RENDER_TEMPLATE_NOT_FOUND", name, self._not_found(exc)) from None
        except TemplateSyntaxError as exc:
            raise self._syntax(name, exc) from None

    def path_of(self, name: str) -> Path | None:
        """The file ``name`` resolves to (the partner's override when there is one)."""
        for root in self.roots:
            candidate = root / name
            if candidate.is_file():
                return candidate
        return None

    def name_of(self, filename: str) -> str:
        """The template name of a file below one of the roots (the file name itself otherwise)."""
        path = Path(filename)
        for root in self.roots:
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return filename

    def run(self, name: str, render: Callable[[Template], str]) -> str:
        """Call ``render`` with template ``name``; any failure becomes a RenderError with file and line."""
        template = self.get(name)
        try:
            return render(template)
        except RenderError:
            raise
        except TemplateSyntaxError as exc:  # an included/imported template that does not compile
            raise self._syntax(name, exc) from None
        except TemplateNotFound as exc:
            raise RenderError("RENDER_TEMPLATE_NOT_FOUND", name, self._not_found(exc)) from None
        except Exception as exc:  # noqa: BLE001 - boundary: template code is data; any failure becomes a coded error
            raise self._located(name, template, exc) from None

    def _not_found(self, exc: TemplateNotFound) -> str:
        folders = ", ".join(str(root) for root in self.roots)
        return f"template {exc.name!r} not found in {folders}"

    def _syntax(self, name: str, exc: TemplateSyntaxError) -> RenderError:
        where = exc.name or name
        return RenderError("RENDER_SYNTAX", where, exc.message or str(exc), exc.lineno, exc.filename)

    def _located(self, name: str, template: Template, exc: Exception) -> RenderError:
        frame = template_frame(exc.__traceback__)
        filename, line = frame if frame is not None else (template.filename or name, None)
        where = self.name_of(filename) if frame is not None else name
        code, message = _classify(exc)
        return RenderError(code, where, message, line, filename)


def _classify(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, TemplateValueError):
        return exc.code, exc.message
    if isinstance(exc, UndefinedError):
        return "RENDER_UNDEFINED", exc.message or str(exc)
    if isinstance(exc, SecurityError):
        return "RENDER_FORBIDDEN", str(exc)
    return "RENDER_FAILED", f"{type(exc).__name__}: {exc}"


class TemplateLibrary:
    """Template sets per partner over mappings folders, built once each and kept.

    For each mappings folder in order (a project's own, then the built-in one),
    ``partners/<partner>/templates`` (when it exists) comes before ``templates``.
    Partner ids are checked before they become a path.
    """

    def __init__(self, mappings_dir: Path | Sequence[Path], *, auto_reload: bool = True) -> None:
        dirs = [Path(mappings_dir)] if isinstance(mappings_dir, (str, Path)) else [Path(d) for d in mappings_dir]
        self.mappings_dirs = dirs
        self.mappings_dir = dirs[0]
        self.auto_reload = auto_reload
        self._sets: dict[str | None, TemplateSet] = {}

    def for_partner(self, partner: str | None) -> TemplateSet:
        """The templates ``partner`` renders with (the defaults alone for None)."""
        cached = self._sets.get(partner)
        if cached is not None:
            return cached
        if partner is not None and not _PARTNER_ID.fullmatch(partner):
            raise ValueError(f"partner id {partner!r} is not a valid folder name")
        roots = []
        for folder in self.mappings_dirs:
            own = folder / "partners" / partner / "templates" if partner is not None else None
            if own is not None and own.is_dir():
                roots.append(own)
        roots.extend(folder / "templates" for folder in self.mappings_dirs if (folder / "templates").is_dir())
        created = self._sets[partner] = TemplateSet(roots, auto_reload=self.auto_reload)
        return created


def render_context(context: Mapping[str, Any], reserved: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` plus the renderer's own names; a caller may not shadow those (a bug, not data)."""
    clash = sorted(set(context) & set(reserved))
    if clash:
        raise ValueError(f"context keys {clash} are reserved for the renderer")
    return {**context, **reserved}
