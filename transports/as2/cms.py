"""CMS (RFC 5652) signing, verification, enveloping and compression for AS2.

ASN.1 structures come from ``asn1crypto``; every cryptographic operation is done by
``cryptography``. ``cryptography``'s own PKCS#7 API cannot verify signatures and decrypts
only AES-128/256-CBC, while AS2 partners still send 3DES and AES-192, and RFC 5083
AuthEnvelopedData (AES-GCM) is growing; hence the structures are handled here.

Only certificates configured for a partner are trusted: certificates embedded in a
signature are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from transports.as2.errors import As2Error

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# our cipher name -> (asn1crypto algorithm id, key length in bytes)
CIPHERS: dict[str, tuple[str, int]] = {
    "aes128-cbc": ("aes128_cbc", 16),
    "aes192-cbc": ("aes192_cbc", 24),
    "aes256-cbc": ("aes256_cbc", 32),
    "3des": ("tripledes_3key", 24),
    "aes128-gcm": ("aes128_gcm", 16),
    "aes192-gcm": ("aes192_gcm", 24),
    "aes256-gcm": ("aes256_gcm", 32),
}
_CIPHER_BY_OID_NAME = {oid_name: ours for ours, (oid_name, _) in CIPHERS.items()}
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class GcmParameters(core.Sequence):
    """RFC 5084 GCMParameters (asn1crypto leaves them untyped)."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A private key with its certificate (ours: for decrypting and signing)."""

    key: PrivateKey
    cert: x509.Certificate


def normalize_digest(name: str) -> str:
    """'SHA-256', 'sha256', 'sha-256' -> 'sha256'; unknown names raise AS2_UNSUPPORTED_ALGORITHM."""
    norm = name.strip().lower().replace("-", "").replace("_", "")
    if norm not in DIGESTS:
        raise As2Error("AS2_UNSUPPORTED_ALGORITHM", f"digest algorithm {name!r} is not supported")
    return norm


def micalg_label(digest: str) -> str:
    """RFC 5751 micalg spelling ('sha-256') used in multipart/signed and MIC fields."""
    return "sha-" + normalize_digest(digest)[3:]


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _issuer_serial(cert: asn1_x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def _identifies(identifier: core.Choice, cert: x509.Certificate) -> bool:
    """Whether a SignerIdentifier/RecipientIdentifier names ``cert`` (issuer+serial or key identifier)."""
    asn = _asn1_cert(cert)
    if identifier.name == "issuer_and_serial_number":
        chosen = identifier.chosen
        return chosen["serial_number"].native == asn.serial_number and chosen["issuer"] == asn.issuer
    return identifier.chosen.native == asn.key_identifier


def _load_content_info(der: bytes, expected: tuple[str, ...], code: str) -> cms.ContentInfo:
    try:
        info = cms.ContentInfo.load(der)
        kind = info["content_type"].native
        info["content"].native  # noqa: B018 - forces a full parse so corrupt DER fails here, coded
    except (ValueError, TypeError, KeyError) as exc:
        raise As2Error(code, f"not a CMS structure: {exc}") from exc
    if kind not in expected:
        raise As2Error(code, f"CMS content type is {kind!r}, expected {' or '.join(expected)}")
    return info


# -- signing ----------------------------------------------------------------------------------


def _sign_bytes(key: PrivateKey, data: bytes, digest: str) -> tuple[bytes, str]:
    algo = DIGESTS[digest]()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, asym_padding.PKCS1v15(), algo), "rsassa_pkcs1v15"
    return key.sign(data, ec.ECDSA(algo)), f"{digest}_ecdsa"


def sign(content: bytes, signer: KeyPair, digest: str = "sha256") -> bytes:
    """A detached CMS SignedData (DER) over ``content`` with signed attributes."""
    digest = normalize_digest(digest)
    cert = _asn1_cert(signer.cert)
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": datetime.now(UTC)})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(digest, content).digest()]}),
    ]
    signed_attrs = cms.CMSAttributes(sorted(attrs, key=lambda attr: attr.dump()))  # DER orders a SET OF
    signature, sig_algo = _sign_bytes(signer.key, signed_attrs.dump(), digest)
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": _issuer_serial(cert)}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
        "encap_content_info": {"content_type": "data"},
        "certificates": [cert],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def _verify_with(cert: x509.Certificate, signer_info: cms.SignerInfo, data: bytes, digest: str) -> bool:
    public = cert.public_key()
    signature = signer_info["signature"].native
    sig_algo = signer_info["signature_algorithm"]
    try:
        if isinstance(public, rsa.RSAPublicKey):
            if sig_algo.signature_algo == "rsassa_pss":
                params = sig_algo["parameters"]
                pss_hash = DIGESTS[normalize_digest(params["hash_algorithm"]["algorithm"].native)]()
                pad = asym_padding.PSS(asym_padding.MGF1(pss_hash), params["salt_length"].native)
                public.verify(signature, data, pad, pss_hash)
            else:
                public.verify(signature, data, asym_padding.PKCS1v15(), DIGESTS[digest]())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(DIGESTS[digest]()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify(candidates: Sequence[bytes], signature_der: bytes, certs: Sequence[x509.Certificate]) -> tuple[str, bytes]:
    """Verify a detached signature; returns (digest name, the candidate content that it covers).

    ``candidates`` are renderings of the signed entity to try in order (exact bytes, then
    canonical CRLF form). A signature no trusted certificate verifies is AS2_SIGNATURE_INVALID;
    a valid signature over a digest that matches no candidate is AS2_INTEGRITY_FAILED.
    """
    info = _load_content_info(signature_der, ("signed_data",), "AS2_SIGNATURE_INVALID")
    signer_infos = info["content"]["signer_infos"]
    if len(signer_infos) == 0:
        raise As2Error("AS2_SIGNATURE_INVALID", "signature has no signer")
    signer_info = signer_infos[0]
    digest = normalize_digest(signer_info["digest_algorithm"]["algorithm"].native)
    named = [cert for cert in certs if _identifies(signer_info["sid"], cert)]
    signed_attrs = signer_info["signed_attrs"]
    if not signed_attrs:  # signature directly over the content
        for content in candidates:
            if any(_verify_with(cert, signer_info, content, digest) for cert in named or certs):
                return digest, content
        raise As2Error("AS2_SIGNATURE_INVALID", "signature does not verify with the partner's certificates")
    attr_bytes = b"\x31" + signed_attrs.dump()[1:]  # signed over the SET OF, not the [0] IMPLICIT tag
    if not any(_verify_with(cert, signer_info, attr_bytes, digest) for cert in named or certs):
        raise As2Error("AS2_SIGNATURE_INVALID", "signature does not verify with the partner's certificates")
    wanted = next((a["values"][0].native for a in signed_attrs if a["type"].native == "message_digest"), None)
    if wanted is None:
        raise As2Error("AS2_SIGNATURE_INVALID", "signed attributes carry no message digest")
    for content in candidates:
        if hmac.compare_digest(hashlib.new(digest, content).digest(), wanted):
            return digest, content
    raise As2Error("AS2_INTEGRITY_FAILED", "content digest does not match the signed message digest")


# -- enveloping -------------------------------------------------------------------------------


def _symmetric(oid_name: str, key: bytes, iv: bytes) -> Cipher:
    if oid_name == "tripledes_3key":
        return Cipher(TripleDES(key), modes.CBC(iv))
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def _recipient(cert: x509.Certificate, cek: bytes) -> cms.RecipientInfo:
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise As2Error("AS2_UNSUPPORTED_ALGORITHM", "only RSA recipient certificates can be encrypted to")
    return cms.RecipientInfo({"ktri": cms.KeyTransRecipientInfo({
        "version": "v0",
        "rid": cms.RecipientIdentifier({"issuer_and_serial_number": _issuer_serial(_asn1_cert(cert))}),
        "key_encryption_algorithm": cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15"}),
        "encrypted_key": public.encrypt(cek, asym_padding.PKCS1v15()),
    })})


def encrypt(content: bytes, recipient: x509.Certificate, cipher: str = "aes256-cbc") -> bytes:
    """EnvelopedData (CBC ciphers) or AuthEnvelopedData (GCM) for one RSA recipient, DER."""
    if cipher not in CIPHERS:
        raise As2Error("AS2_UNSUPPORTED_ALGORITHM", f"cipher {cipher!r} is not supported")
    oid_name, key_len = CIPHERS[cipher]
    cek = os.urandom(key_len)
    recipients = [_recipient(recipient, cek)]
    if oid_name.endswith("_gcm"):
        nonce = os.urandom(12)
        encryptor = Cipher(algorithms.AES(cek), modes.GCM(nonce)).encryptor()
        body = encryptor.update(content) + encryptor.finalize()
        params = GcmParameters({"aes_nonce": nonce, "aes_icvlen": 16})
        eci = cms.EncryptedContentInfo({
            "content_type": "data",
            "content_encryption_algorithm": {"algorithm": oid_name, "parameters": params},
            "encrypted_content": body,
        })
        auth = cms.AuthEnvelopedData({"version": "v0", "recipient_infos": recipients,
                                      "auth_encrypted_content_info": eci, "mac": encryptor.tag})
        return cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": auth}).dump()
    block = 8 if oid_name == "tripledes_3key" else 16
    iv = os.urandom(block)
    padder = padding.PKCS7(block * 8).padder()
    encryptor = _symmetric(oid_name, cek, iv).encryptor()
    body = encryptor.update(padder.update(content) + padder.finalize()) + encryptor.finalize()
    eci = cms.EncryptedContentInfo({
        "content_type": "data",
        "content_encryption_algorithm": {"algorithm": oid_name, "parameters": iv},
        "encrypted_content": body,
    })
    enveloped = cms.EnvelopedData({"version": "v0", "recipient_infos": recipients, "encrypted_content_info": eci})
    return cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()


def _unwrap_cek(info: cms.KeyTransRecipientInfo, key: PrivateKey) -> bytes | None:
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    algo = info["key_encryption_algorithm"]
    if algo["algorithm"].native == "rsaes_oaep":
        oaep_hash = DIGESTS[normalize_digest(algo["parameters"]["hash_algorithm"]["algorithm"].native)]()
        pad: asym_padding.AsymmetricPadding = asym_padding.OAEP(asym_padding.MGF1(oaep_hash), oaep_hash, None)
    else:
        pad = asym_padding.PKCS1v15()
    try:
        return key.decrypt(info["encrypted_key"].native, pad)
    except ValueError:
        return None


def _content_key(recipient_infos: cms.RecipientInfos, keys: Sequence[KeyPair]) -> bytes:
    """Unwrap the content-encryption key with the first of our keys the message is addressed to."""
    for info in recipient_infos:
        if info.name != "ktri":
            continue
        for pair in keys:
            if _identifies(info.chosen["rid"], pair.cert):
                cek = _unwrap_cek(info.chosen, pair.key)
                if cek is not None:
                    return cek
    raise As2Error("AS2_DECRYPTION_FAILED", "message is not encrypted to any of our certificates")


def _decrypt_body(eci: cms.EncryptedContentInfo, cek: bytes, mac: bytes | None) -> tuple[bytes, str]:
    algo = eci["content_encryption_algorithm"]
    oid_name = algo["algorithm"].native
    cipher = _CIPHER_BY_OID_NAME.get(oid_name)
    if cipher is None:
        raise As2Error("AS2_DECRYPTION_FAILED", f"content encryption algorithm {oid_name!r} is not supported")
    body = eci["encrypted_content"].native or b""
    try:
        if mac is not None:
            params = GcmParameters.load(algo["parameters"].dump())
            decryptor = Cipher(algorithms.AES(cek), modes.GCM(params["aes_nonce"].native, mac)).decryptor()
            return decryptor.update(body) + decryptor.finalize(), cipher
        block = 8 if oid_name == "tripledes_3key" else 16
        decryptor = _symmetric(oid_name, cek, algo["parameters"].native).decryptor()
        unpadder = padding.PKCS7(block * 8).unpadder()
        plain = decryptor.update(body) + decryptor.finalize()
        return unpadder.update(plain) + unpadder.finalize(), cipher
    except (ValueError, InvalidTag) as exc:
        raise As2Error("AS2_DECRYPTION_FAILED", f"content decryption failed ({cipher})") from exc


def decrypt(der: bytes, keys: Sequence[KeyPair]) -> tuple[bytes, str]:
    """Decrypt EnvelopedData or AuthEnvelopedData with any of ``keys``; returns (plaintext, cipher name)."""
    info = _load_content_info(der, ("enveloped_data", "authenticated_enveloped_data"), "AS2_DECRYPTION_FAILED")
    content = info["content"]
    cek = _content_key(content["recipient_infos"], keys)
    if info["content_type"].native == "authenticated_enveloped_data":
        if content["auth_attrs"]:
            raise As2Error("AS2_DECRYPTION_FAILED", "authenticated attributes are not supported")
        return _decrypt_body(content["auth_encrypted_content_info"], cek, content["mac"].native)
    return _decrypt_body(content["encrypted_content_info"], cek, None)


# -- compression (RFC 3274 / RFC 5402) -------------------------------------------------------------


def compress(content: bytes) -> bytes:
    data = cms.CompressedData({
        "version": "v0",
        "compression_algorithm": {"algorithm": "zlib"},
        "encap_content_info": {"content_type": "data", "content": zlib.compress(content)},
    })
    return cms.ContentInfo({"content_type": "compressed_data", "content": data}).dump()


def decompress(der: bytes, max_size: int) -> bytes:
    """Inflate CompressedData, refusing output beyond ``max_size`` bytes (a zip bomb is not unpacked)."""
    info = _load_content_info(der, ("compressed_data",), "AS2_DECOMPRESSION_FAILED")
    data = info["content"]
    if data["compression_algorithm"]["algorithm"].native != "zlib":
        raise As2Error("AS2_DECOMPRESSION_FAILED", "only zlib compression is defined for CMS")
    packed = data["encap_content_info"]["content"].native or b""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(packed, max_size + 1)
    except zlib.error as exc:
        raise As2Error("AS2_DECOMPRESSION_FAILED", f"zlib stream is corrupt: {exc}") from exc
    if len(out) > max_size:
        raise As2Error("AS2_DECOMPRESSION_FAILED", f"decompressed content exceeds the {max_size}-byte limit")
    if not inflater.eof:
        raise As2Error("AS2_DECOMPRESSION_FAILED", "zlib stream is truncated")
    return out
