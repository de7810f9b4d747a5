"""AS2 (RFC 4130) transport: CMS signing/encryption, MDNs, a framework-free receiver, an ASGI app and a client."""
