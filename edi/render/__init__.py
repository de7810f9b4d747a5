"""Outbound rendering: every outbound document is written from a Jinja2 template kept as data.

Templates live in ``mappings/templates/`` (a partner overrides one by putting a file of
the same name in ``mappings/partners/<id>/templates/``). What must be exact is code:
X12 envelopes, segment counts, element escaping against the partner's delimiters,
date and number formats. Templates only choose segments and values.

Public API:

* :class:`TemplateLibrary` / :class:`TemplateSet`: template lookup, one sandboxed
  environment per partner, compiled templates cached.
* :func:`render_x12_set`: a template -> an :class:`~edi.x12.writer.OutSet` for the writer;
  :func:`check_out_set` validates it against the declared schema.
* :func:`render_text`: a template -> XML / CSV text.
* :func:`edi.render.pdf.render_pdf`: an HTML template -> PDF bytes (WeasyPrint, no network;
  imported from its module only, so the rest of the gateway does not load WeasyPrint).
* :class:`RenderError`: every failure, coded, naming the template file and line.
"""

from __future__ import annotations

from edi.render.environment import TemplateLibrary, TemplateSet
from edi.render.errors import RENDER_CODES, RenderError
from edi.render.text import render_text
from edi.render.x12 import X12Info, check_out_set, render_x12_set

__all__ = [
    "RENDER_CODES",
    "RenderError",
    "TemplateLibrary",
    "TemplateSet",
    "X12Info",
    "check_out_set",
    "render_text",
    "render_x12_set",
]
