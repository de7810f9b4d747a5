"""The load-time error of a mapping file: names the file, the YAML path and the line.

Mapping files are written by people onboarding a partner; a message that says
exactly where the problem is ("fields.po_number.path (line 7)") is what makes them
fixable without reading engine code.
"""

from __future__ import annotations


class MappingError(Exception):
    """A mapping file (or the chain it extends) is invalid.

    ``yaml_path`` is dotted (``fields.lines.fields.quantity.convert[1]``); ``line`` is
    1-based, or None when the problem is not tied to a line (a missing file).
    """

    def __init__(self, file: str, yaml_path: str, line: int | None, message: str) -> None:
        self.file = file
        self.yaml_path = yaml_path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.yaml_path or "<document>"
        line = f" (line {self.line})" if self.line is not None else ""
        return f"{self.file}: {where}{line}: {self.message}"
