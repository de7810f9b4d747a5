"""YAML-driven mapping of X12 transaction sets to canonical documents.

    compiled = load_mapping(find_mapping("850", gs08, partner, roots), roots)
    result = compiled.apply(transaction_set, partner=partner, explain=False)

See ``edi.mapping.model`` for the mapping file format and ``mappings/default/850.yaml``
for the built-in 850 mapping.
"""

from edi.mapping.engine import CompiledMapping, load_mapping
from edi.mapping.errors import MappingError
from edi.mapping.loader import find_mapping
from edi.mapping.results import FieldTrace, MapResult

__all__ = ["CompiledMapping", "FieldTrace", "MapResult", "MappingError", "find_mapping", "load_mapping"]
