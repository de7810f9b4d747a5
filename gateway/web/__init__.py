"""The gateway's HTTP face: one ASGI application (AS2 endpoint, async-MDN endpoint, health check)."""
