"""Why a document could not be built: a coded error recorded on its ``outbound_document`` row.

These are our own data problems (an ERP record that cannot make a valid document), not
inbound-data errors: they never reach a partner, so they are not in the EDI catalogue.
Codes from below are kept as they are: ``RENDER_*`` (template), ``INVOICE_*`` (the ERP core
refused to invoice), ``UDI_INVALID``.
"""

from __future__ import annotations

# Stable codes of this package.
DOC_PARTNER_NO_X12 = "DOC_PARTNER_NO_X12"  # the partner has no X12 address to send to
DOC_DATA_INVALID = "DOC_DATA_INVALID"  # the ERP record does not make a valid canonical document
DOC_LOT_VERDICT_FAIL = "DOC_LOT_VERDICT_FAIL"  # no certificate: the lot's verdict does not pass
DOC_SET_INVALID = "DOC_SET_INVALID"  # the rendered set fails our own schema validation
DOC_UNIT_UNKNOWN = "DOC_UNIT_UNKNOWN"  # a unit of measure with no X12 unit code

CODES = (DOC_PARTNER_NO_X12, DOC_DATA_INVALID, DOC_LOT_VERDICT_FAIL, DOC_SET_INVALID, DOC_UNIT_UNKNOWN)


class DocumentError(Exception):
    """One document cannot be built; ``code`` is stable, the message names the record."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
