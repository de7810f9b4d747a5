"""Text documents (XML, CSV, ...) from templates.

XML templates (``*.xml.j2``) are autoescaped, so a value can never open or close an
element; their output is also checked for characters XML 1.0 cannot carry at all
(control characters), which escaping cannot repair. CSV templates build records with
the ``csv`` / ``csvrow`` filters (quoting and formula-injection guard).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from edi.render.environment import TemplateSet, is_markup
from edi.render.errors import RenderError

# Characters outside the XML 1.0 Char production (tab, LF and CR are allowed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render_text(templates: TemplateSet, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name`` with ``context``; raises :class:`RenderError`."""
    output = templates.run(name, lambda template: template.render(context))
    if is_markup(name):
        bad = _NOT_XML.search(output)
        if bad is not None:
            line = output.count("\n", 0, bad.start()) + 1
            raise RenderError("RENDER_VALUE", name, f"output line {line}: character {bad.group()!r} "
                              "is not allowed in XML; clean the value at its source")
    return output
