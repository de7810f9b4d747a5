"""Coded AS2 errors: one stable code per failure, with the MDN disposition and HTTP status it produces.

The receive side turns every failure into either a negative MDN (RFC 4130 section 7.4.3 /
RFC 3798 disposition modifiers) or, where no MDN can sensibly be returned, an HTTP 4xx
status. The send side raises the same error type so the gateway can decide whether to
retry (``retryable``) or park the message for a human. Codes are data, declared once here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class As2ErrorSpec:
    code: str
    title: str
    modifier: str | None  # disposition modifier text of a negative MDN ("decryption-failed"), None: no MDN
    warning: bool = False  # True: "processed/warning: ..." instead of "processed/error: ..."
    http_status: int = 200  # status of the HTTP response that carries the MDN (or the refusal)
    retryable: bool = False  # sending side: the same message may succeed when sent again later


_SPECS: tuple[As2ErrorSpec, ...] = (
    # -- receive: refused at HTTP level (no MDN) -------------------------------------------
    As2ErrorSpec("AS2_HEADERS_MISSING", "AS2-From, AS2-To or Message-ID header missing or malformed", None,
                 http_status=400),
    As2ErrorSpec("AS2_UNKNOWN_PARTNER", "AS2-From/AS2-To pair is not a configured partnership",
                 "authentication-failed", http_status=403),
    As2ErrorSpec("AS2_TOO_LARGE", "request body exceeds the partner's size limit", None, http_status=413),
    As2ErrorSpec("AS2_METHOD", "only POST is accepted", None, http_status=405),
    # -- receive: negative MDN ----------------------------------------------------------------
    As2ErrorSpec("AS2_DECRYPTION_FAILED", "message could not be decrypted with our keys", "decryption-failed"),
    As2ErrorSpec("AS2_DECOMPRESSION_FAILED", "compressed-data could not be decompressed", "decompression-failed"),
    As2ErrorSpec("AS2_SIGNATURE_INVALID", "signature does not verify with the partner's certificates",
                 "authentication-failed"),
    As2ErrorSpec("AS2_INTEGRITY_FAILED", "content digest does not match the signed digest (content altered)",
                 "integrity-check-failed"),
    As2ErrorSpec("AS2_INSUFFICIENT_SECURITY", "message is not signed/encrypted although the partnership requires it",
                 "insufficient-message-security"),
    As2ErrorSpec("AS2_MALFORMED", "body is not a well-formed MIME/CMS structure", "unexpected-processing-error"),
    As2ErrorSpec("AS2_UNSUPPORTED_ALGORITHM", "algorithm not supported", "unexpected-processing-error"),
    As2ErrorSpec("AS2_DUPLICATE", "Message-ID was already received from this partner", "duplicate-document",
                 warning=True),
    As2ErrorSpec("AS2_DELIVERY_FAILED", "payload could not be stored durably; the partner should resend",
                 "unexpected-processing-error", retryable=True),
    # -- send side ------------------------------------------------------------------------------
    As2ErrorSpec("AS2_HTTP_UNREACHABLE", "partner endpoint unreachable or timed out", None, retryable=True),
    As2ErrorSpec("AS2_HTTP_STATUS", "partner endpoint answered with an HTTP 5xx status", None, retryable=True),
    As2ErrorSpec("AS2_HTTP_REFUSED", "partner endpoint refused the message (HTTP 4xx)", None),
    As2ErrorSpec("AS2_MDN_MALFORMED", "MDN is not a well-formed disposition notification", None),
    As2ErrorSpec("AS2_MDN_UNSIGNED", "MDN is unsigned although a signed MDN was requested", None),
    As2ErrorSpec("AS2_MDN_SIGNATURE_INVALID", "MDN signature does not verify with the partner's certificates", None),
    As2ErrorSpec("AS2_MDN_MIC_MISMATCH", "MDN Received-content-MIC differs from the MIC of what we sent", None),
    As2ErrorSpec("AS2_MDN_MESSAGE_ID_MISMATCH", "MDN Original-Message-ID is not the message we sent", None),
    As2ErrorSpec("AS2_MDN_NEGATIVE", "partner reported a failed disposition", None),
    As2ErrorSpec("AS2_MDN_UNMATCHED", "asynchronous MDN matches no pending message", None),
    As2ErrorSpec("AS2_MDN_POST_FAILED", "asynchronous MDN could not be delivered to the partner", None,
                 retryable=True),
    # -- certificates -----------------------------------------------------------------------------
    As2ErrorSpec("AS2_CERT_LOAD", "certificate or key file missing or unreadable", None),
    As2ErrorSpec("AS2_CERT_PASSWORD", "password environment variable unset or password wrong", None),
    As2ErrorSpec("AS2_CERT_MISMATCH", "private key does not belong to the certificate", None),
)

SPECS: dict[str, As2ErrorSpec] = {spec.code: spec for spec in _SPECS}


class As2Error(Exception):
    """An AS2 failure with a stable ``code`` (see :data:`SPECS`) and a human-readable message."""

    def __init__(self, code: str, message: str) -> None:
        if code not in SPECS:
            raise ValueError(f"undeclared AS2 error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def spec(self) -> As2ErrorSpec:
        return SPECS[self.code]

    @property
    def retryable(self) -> bool:
        return self.spec.retryable

    @property
    def http_status(self) -> int:
        return self.spec.http_status
