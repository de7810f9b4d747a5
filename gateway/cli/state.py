"""Lazily opened settings and gateway context shared by the commands of one invocation."""

from __future__ import annotations

from pathlib import Path

from gateway.context import Context
from gateway.settings import Settings, load_settings


class CliState:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None
        self._context: Context | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    @property
    def context(self) -> Context:
        if self._context is None:
            self._context = Context.open(self.settings)
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
