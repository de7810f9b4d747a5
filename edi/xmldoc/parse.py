"""Hardened XML parsing: no network, no DTD loading, no entities, no XInclude, bounded size.

Inbound XML comes from partners we do not control, so the parser is configured as for
hostile input: libxml2 never loads a DTD or anything over the network, never substitutes
entities, and keeps its default limits (nesting depth, text node size; ``huge_tree`` off).
A DOCTYPE that *declares* entities (billion laughs, external SYSTEM/PUBLIC entities,
parameter entities) is refused before libxml2 sees it, by a scan of the prolog; the parsed
tree is checked again afterwards (defence in depth), and XInclude elements are refused
rather than silently left unprocessed.

A plain DOCTYPE naming an external DTD is normal in cXML
(``<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd">``): it
parses, the DTD is not fetched, and its URL is kept (it carries the cXML version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from edi.detect import DocumentError, guess_encoding

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
_PROLOG_SCAN_BYTES = 1 << 20
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_LOCATION_SUFFIX = re.compile(r", line \d+, column \d+$")
_ENCODING_ERRORS = frozenset({9, 32, 81})  # invalid char, unknown encoding, invalid bytes for the encoding


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Upper bounds for one inbound XML file (the parser's own depth/text limits come on top)."""

    max_bytes: int = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed XML file: its root element plus what the prolog said.

    ``doctype_system`` is the DOCTYPE's SYSTEM URL (never fetched), None without one.
    """

    name: str
    root: etree._Element
    encoding: str | None
    doctype_system: str | None
    size: int

    @property
    def root_tag(self) -> str:
        """The root in Clark notation, ``{namespace}local``."""
        return str(self.root.tag)


def _parser() -> etree.XMLParser:
    """A fresh hardened parser (parsers keep per-document state: one per call, no shared instance)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           attribute_defaults=False, huge_tree=False, remove_pis=True)


def parse_xml(data: bytes, name: str = "<bytes>", limits: XmlLimits | None = None) -> XmlDocument:
    """Parse ``data`` as hostile XML; raise :class:`DocumentError` (XML_*/FILE_*) on any refusal."""
    limits = limits or XmlLimits()
    if len(data) > limits.max_bytes:
        raise DocumentError("FILE_TOO_LARGE", f"{name}: {len(data)} bytes exceed the XML limit of "
                                              f"{limits.max_bytes} bytes")
    if not data.strip():
        raise DocumentError("FILE_EMPTY", f"{name}: file holds no data")
    _refuse_entity_declarations(data, name)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, name) from None
    tree = root.getroottree()
    _check_tree(tree, name)
    docinfo = tree.docinfo
    return XmlDocument(name, root, docinfo.encoding, docinfo.system_url, len(data))


def _refuse_entity_declarations(data: bytes, name: str) -> None:
    """Refuse a DOCTYPE whose internal subset declares entities, before the parser reads it."""
    encoding, skip = guess_encoding(data[:4096])
    head = data[skip:skip + _PROLOG_SCAN_BYTES].decode(encoding, errors="replace")
    first = _FIRST_ELEMENT.search(head)
    prolog = head if first is None else head[:first.start()]
    doctype = prolog.find("<!DOCTYPE")
    if doctype < 0:
        return
    if _ENTITY_DECL.search(prolog, doctype) is not None:
        raise DocumentError("XML_ENTITY_FORBIDDEN", f"{name}: the DOCTYPE declares entities; entity "
                                                    "declarations are refused (never expanded or fetched)",
                            line=prolog.count("\n", 0, doctype) + 1)
    if first is None and len(data) > _PROLOG_SCAN_BYTES:
        raise DocumentError("XML_LIMIT_EXCEEDED", f"{name}: the prolog is longer than "
                                                  f"{_PROLOG_SCAN_BYTES} bytes")


def _check_tree(tree: etree._ElementTree, name: str) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and next(iter(dtd.iterentities()), None) is not None:
        raise DocumentError("XML_ENTITY_FORBIDDEN", f"{name}: the DOCTYPE declares entities")
    xinclude = next(tree.getroot().iter(f"{{{XINCLUDE_NS}}}*"), None)
    if xinclude is not None:
        raise DocumentError("XML_ENTITY_FORBIDDEN", f"{name}: XInclude elements are refused (never processed)",
                            line=xinclude.sourceline)


def _syntax_error(exc: etree.XMLSyntaxError, name: str) -> DocumentError:
    line, column = exc.position if exc.position else (exc.lineno, None)
    message = _LOCATION_SUFFIX.sub("", exc.msg or str(exc))
    if exc.code in _ENCODING_ERRORS:
        code = "FILE_ENCODING"
    elif "XML_PARSE_HUGE" in message or "huge" in message.lower() or "Excessive depth" in message:
        code = "XML_LIMIT_EXCEEDED"
    else:
        code = "XML_MALFORMED"
    where = f" (line {line}" + (f", column {column})" if column else ")") if line else ""
    return DocumentError(code, f"{name}{where}: {message}", line=line or None, column=column or None)
