"""XML documents from partners: hardened parsing (``parse_xml``) for the YAML mappings of ``edi.docmap``."""

from edi.xmldoc.parse import XINCLUDE_NS, XmlDocument, XmlLimits, parse_xml

__all__ = ["XINCLUDE_NS", "XmlDocument", "XmlLimits", "parse_xml"]
