"""Coded errors of outbound rendering: one exception type, naming the template file and line.

Templates are data written by administrators, so every way a template can fail
(syntax, an undefined variable, a value the partner's delimiters cannot carry, a
sandbox violation, any exception raised while it runs) becomes one
:class:`RenderError` with a stable code, the template name and the line, never a
raw Jinja traceback. These are outbound failures: nothing is acknowledged to a
partner; the gateway records them and holds the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType, TracebackType

#: code -> title. Stable: the ledger and operators' runbooks refer to these codes.
RENDER_CODES = MappingProxyType({
    "RENDER_TEMPLATE_NOT_FOUND": "no template of that name in the partner's or the default template folder",
    "RENDER_SYNTAX": "the template is not valid Jinja syntax",
    "RENDER_UNDEFINED": "the template uses a variable or attribute the document does not have",
    "RENDER_VALUE": "a value cannot be formatted as the template asks (type, date, number, character)",
    "RENDER_SEGMENT_REJECTED": "the X12 writer refused a segment (delimiter in a value, bad tag, no elements)",
    "RENDER_STRAY_TEXT": "an X12 template wrote text outside seg() calls",
    "RENDER_NO_SEGMENTS": "an X12 template produced no segment",
    "RENDER_HL": "the HL hierarchy is inconsistent (a level written twice, before its parent, or not through hl)",
    "RENDER_FORBIDDEN": "the template tried an operation the sandbox forbids",
    "RENDER_FAILED": "the template raised an error while rendering",
})


@dataclass(slots=True)
class RenderError(Exception):
    """A template could not be rendered.

    ``template`` is the template name as looked up (``x12/855.j2``), or the name of the
    included/imported template the error sits in; ``path`` the file that was used (the
    partner's override or the default); ``line`` the 1-based line in that file, when
    known.
    """

    code: str
    template: str
    message: str
    line: int | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.code not in RENDER_CODES:
            raise KeyError(f"unknown render error code {self.code!r}")
        Exception.__init__(self, self.code, self.template, self.message)

    def __str__(self) -> str:
        where = self.template if self.line is None else f"{self.template}:{self.line}"
        return f"{self.code}: {where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "template": self.template, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        if self.path is not None:
            data["path"] = self.path
        return data


class TemplateValueError(ValueError):
    """Raised inside a render by ``seg()`` and the filters; turned into a :class:`RenderError`.

    It carries only the code and message: the template and line are recovered from the
    traceback Jinja rewrites to point at the template source.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in RENDER_CODES:
            raise KeyError(f"unknown render error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


def template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template frame of a traceback Jinja rewrote: (file name, line).

    Jinja replaces the compiled template's frames by fake frames whose code points at
    the template file and line; they are recognisable by the ``__jinja_exception__``
    global it plants in them.
    """
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if "__jinja_exception__" in frame.f_globals:
            found = (frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
