"""AS2 partnerships of the gateway: the ``as2:`` settings with keys and certificates loaded.

A partnership is only used while its ERP partner exists, so removing a partner in the
ERP core also closes its AS2 door. Keys are loaded once when the directory is built; a
missing file or an unset password variable is a configuration error at start-up, not a
failure on the first message.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from sqlalchemy import Engine
from sqlmodel import Session

from erp_core.services import partners as erp_partners
from gateway.as2.config import As2Partner, As2Settings, local_config, partner_config
from gateway.errors import ConfigError
from gateway.settings import Settings
from transports.as2.certs import CertWarning, expiry_warnings
from transports.as2.config import Partnership, build_partnership
from transports.as2.errors import As2Error


@dataclass(frozen=True, slots=True)
class As2Route:
    """One partner's configuration entry and its loaded partnership."""

    entry: As2Partner
    partnership: Partnership


@dataclass(frozen=True, slots=True)
class PartnerCertWarning:
    partner_id: str
    side: str  # "ours" | "theirs"
    warning: CertWarning


class As2Directory:
    """Partnerships by ERP partner id and by (AS2-From, AS2-To)."""

    def __init__(self, settings: As2Settings, our_certs: tuple[x509.Certificate, ...],
                 routes: dict[str, As2Route], engine: Engine) -> None:
        self.settings = settings
        self._our_certs = our_certs
        self._routes = routes
        self._by_as2 = {(r.partnership.partner_id, r.partnership.local_id): r for r in routes.values()}
        self._engine = engine

    @classmethod
    def load(cls, settings: Settings, engine: Engine) -> As2Directory:
        """Build every partnership; raises :class:`ConfigError` naming the partner and the AS2 code."""
        as2 = settings.as2
        if as2 is None:
            raise ConfigError("no as2: section in the configuration")
        local = local_config(as2, settings.base_dir)
        try:
            our_certs = tuple(key.load().cert for key in local.keys)
        except As2Error as exc:
            raise ConfigError(f"as2.keys: {exc}") from exc
        routes = {}
        for entry in as2.partners:
            try:
                routes[entry.partner] = As2Route(entry, build_partnership(local, partner_config(
                    entry, as2, settings.base_dir)))
            except As2Error as exc:
                raise ConfigError(f"as2 partner {entry.partner}: {exc}") from exc
        return cls(as2, our_certs, routes, engine)

    @property
    def local_id(self) -> str:
        return self.settings.as2_id

    def route(self, partner_id: str) -> As2Route | None:
        return self._routes.get(partner_id)

    def routes(self) -> list[As2Route]:
        return list(self._routes.values())

    def entry_for(self, as2_from: str, as2_to: str) -> As2Partner | None:
        route = self._by_as2.get((as2_from, as2_to))
        return route.entry if route else None

    def lookup(self, as2_from: str, as2_to: str) -> Partnership | None:
        """The leaf's ``PartnerLookup``: the partnership, if its ERP partner still exists."""
        route = self._by_as2.get((as2_from, as2_to))
        if route is None:
            return None
        with Session(self._engine) as session:
            if erp_partners.get_partner(session, route.entry.partner) is None:
                return None
        return route.partnership

    def certificate_warnings(self, days: int | None = None) -> list[PartnerCertWarning]:
        """Our certificates and every partner's that expire within ``days`` (default: as2.warn_days)."""
        window = days if days is not None else self.settings.warn_days
        found = [PartnerCertWarning("", "ours", w) for w in expiry_warnings(self._our_certs, window)]
        for route in self._routes.values():
            found += [PartnerCertWarning(route.entry.partner, "theirs", w)
                      for w in expiry_warnings(route.partnership.partner_certs, window)]
        return sorted(found, key=lambda item: item.warning.not_after)
