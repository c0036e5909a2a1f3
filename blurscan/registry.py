"""Name -> plug-in class tables for scorers and detectors.

Built-in plug-ins register with a decorator; third-party ones through an
entry-point group, loaded the first time a name is looked up. Plug-ins keep
their heavy imports inside their methods, so registering costs nothing.
"""

from __future__ import annotations

import difflib
import logging
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from blurscan.errors import PluginNotFoundError

logger = logging.getLogger("blurscan")

P = TypeVar("P")


class Registry(Generic[P]):
    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._plugins: dict[str, type[P]] = {}
        self._entry_points_loaded = False

    def register(self, cls: type[P]) -> type[P]:
        """Class decorator: add ``cls`` under ``cls.name``."""
        name = cls.name  # type: ignore[attr-defined]
        if name in self._plugins and self._plugins[name] is not cls:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._plugins[name] = cls
        return cls

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name in self._plugins:
                continue
            try:
                self.register(ep.load())
            except Exception as ex:  # noqa: BLE001 - a broken plug-in must not break the tool
                logger.warning("could not load %s plug-in %r from %s: %s", self.kind, ep.name, ep.value, ex)

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._plugins)

    def get(self, name: str) -> type[P]:
        if name not in self._plugins:
            self._load_entry_points()
        try:
            return self._plugins[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._plugins, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise PluginNotFoundError(
                f"unknown {self.kind} {name!r}.{hint} Available: {', '.join(self.names())}."
            ) from None

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._plugins
