"""YAML-driven mapping of XML and CSV documents to canonical documents.

    path = find_doc_mapping("xml", doc.root_tag, partner, roots)
    mapping = load_doc_mapping(path, roots)
    results = mapping.apply_all(doc, partner=partner, explain=True)

See ``edi.docmap.model`` for the file format and ``mappings/default/xml/`` and
``mappings/default/csv/`` for the built-in mappings (cXML, UBL, IPC-2581, CSV orders and BOMs).
"""

from edi.docmap.engine import NOBODY, CompiledDocMapping, CsvGroup, load_doc_mapping
from edi.docmap.find import find_doc_mapping
from edi.docmap.trace import DocFieldTrace

__all__ = ["NOBODY", "CompiledDocMapping", "CsvGroup", "DocFieldTrace", "find_doc_mapping", "load_doc_mapping"]
