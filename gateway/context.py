"""What a gateway run needs, built once from the settings and passed down (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from edi.render import TemplateLibrary
from gateway.db import open_engine, upgrade
from gateway.ledger.archive import Archive
from gateway.mappings import MappingResolver
from gateway.settings import Settings
from transports.local import LocalFolder


@dataclass(slots=True)
class Context:
    settings: Settings
    engine: Engine
    archive: Archive
    mappings: MappingResolver
    inbox: LocalFolder
    outbox: LocalFolder
    templates: TemplateLibrary

    @classmethod
    def open(cls, settings: Settings) -> Context:
        """Engine (schemas migrated to head), archive, mappings and spool folders."""
        engine = open_engine(settings.database_url)
        upgrade(engine)
        return cls(settings=settings, engine=engine, archive=Archive(settings.path("archive")),
                   mappings=MappingResolver(settings.mapping_roots), inbox=LocalFolder(settings.path("inbox")),
                   outbox=LocalFolder(settings.path("outbox")),
                   templates=TemplateLibrary(settings.mapping_roots, auto_reload=False))

    def close(self) -> None:
        self.engine.dispose()
