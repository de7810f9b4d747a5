"""PDF documents (quality certificates) from HTML templates, through WeasyPrint, with no network.

A PDF is rendered in two steps: the HTML template (``*.html.j2``) goes through the same
sandboxed, autoescaped Jinja environment as every other outbound document
(:func:`~edi.render.text.render_text`), then WeasyPrint lays the HTML out as PDF.

Why a custom URL fetcher: templates are data partner administrators edit, and a PDF is
produced on the gateway host. An ``<img src="http://...">`` or ``@import url(file:///etc/...)``
must neither reach the network nor read files outside the template folders, so the
fetcher accepts only ``data:`` URIs and files below the template roots; anything else
stops the render with ``RENDER_FORBIDDEN`` instead of being silently left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from edi.render.environment import TemplateSet
from edi.render.errors import RenderError
from edi.render.text import render_text

_ALLOWED_SCHEMES = frozenset({"data", "file"})


class LocalOnlyFetcher(URLFetcher):
    """A WeasyPrint fetcher that serves ``data:`` URIs and files inside ``roots``, nothing else.

    ``refused`` records the URLs it refused, for the error message (WeasyPrint wraps the
    exception raised here into its own).
    """

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols=set(_ALLOWED_SCHEMES), allow_redirects=False, fail_on_errors=True)
        self.roots = tuple(root.resolve() for root in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The resource at ``url`` when it is allowed; ValueError (fatal for the render) otherwise."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        allowed = scheme == "data" or (scheme == "file" and self._inside_roots(parts.path))
        if not allowed:
            self.refused.append(url)
            raise ValueError(f"resource {url!r} refused: only data: URIs and files in the template folders")
        return super().fetch(url, headers)

    def _inside_roots(self, path: str) -> bool:
        try:
            target = Path(unquote(path)).resolve(strict=True)
        except OSError:
            return False
        return target.is_file() and any(target.is_relative_to(root) for root in self.roots)


def render_pdf(templates: TemplateSet, name: str, context: Mapping[str, Any]) -> bytes:
    """Render HTML template ``name`` with ``context`` and lay it out as a PDF.

    Relative links in the template (a stylesheet, a logo) resolve against the folder of
    the template file used (a partner's override or the default). Raises
    :class:`RenderError`: the template's own failures with their codes, a refused
    resource as ``RENDER_FORBIDDEN``, a layout failure as ``RENDER_FAILED``.
    """
    html = render_text(templates, name, context)
    source = templates.path_of(name)
    base_url = (source.parent if source is not None else templates.roots[0]).as_uri() + "/"
    fetcher = LocalOnlyFetcher(templates.roots)
    weasy_logger = logging.getLogger("weasyprint")
    try:
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError:
        refused = ", ".join(repr(url) for url in fetcher.refused) or "a resource"
        raise RenderError("RENDER_FORBIDDEN", name, f"{refused} refused: a PDF template may use only data: "
                          "URIs and files inside the template folders") from None
    except Exception as exc:  # noqa: BLE001 - boundary: any layout failure becomes a coded render error
        weasy_logger.debug("PDF layout of %s failed", name, exc_info=True)
        raise RenderError("RENDER_FAILED", name, f"PDF layout failed: {type(exc).__name__}: {exc}") from None
