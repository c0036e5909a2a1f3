"""Name -> plug-in class tables, and each plug-in's options, declared once by its constructor.

Built-in plug-ins register with a decorator; third-party ones through an
entry-point group, loaded the first time a name is looked up. Plug-ins keep
their heavy imports inside their methods, so registering costs nothing.

A plug-in's options are its constructor's keyword parameters: their
annotations give the type (``int``, ``float``, ``bool``, ``str``, a
``Literal`` of choices, ``X | None``), their defaults the defaults, and
``Annotated[int, Range(32, 4096), "help"]`` adds a range and a line of help.
The command line (``--option NAME=VALUE``), ``blurscan list`` and the
recorded settings all read the same declaration.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, Literal, TypeVar

from blurscan.errors import PluginNotFoundError, UsageError

logger = logging.getLogger("blurscan")

P = TypeVar("P")


@dataclass(frozen=True)
class Range:
    """The values an option may take, inclusive (``None``: unbounded on that side)."""

    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Option:
    """One option of a plug-in, read from its constructor."""

    name: str
    type: type
    default: Any
    choices: tuple[Any, ...] | None = None
    range: Range | None = None
    help: str = ""
    #: whether ``None`` is a value it takes (the default "let the plug-in choose")
    optional: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def type_text(self) -> str:
        if self.choices:
            return "|".join(str(c) for c in self.choices)
        text = self.type.__name__
        if self.range is not None:
            low = "" if self.range.low is None else f"{self.range.low:g}"
            high = "" if self.range.high is None else f"{self.range.high:g}"
            text += f" {low}..{high}"
        return text

    def convert(self, text: str, owner: str) -> Any:
        """``text`` as this option's value; a :class:`UsageError` naming what it takes otherwise."""
        value: Any
        raw = text.strip()
        if self.optional and raw.lower() in ("none", "auto", ""):
            return None
        try:
            if self.type is bool:
                lowered = raw.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(raw)
                value = lowered in ("true", "1", "yes", "on")
            elif self.type is int:
                value = int(raw)
            elif self.type is float:
                value = float(raw)
                if not math.isfinite(value):
                    raise ValueError(raw)
            else:
                value = raw
        except ValueError:
            raise UsageError(f"{owner} option {self.name}: {text!r} is not a {self.type_text()}") from None
        self.check(value, owner)
        return value

    def check(self, value: Any, owner: str) -> None:
        if value is None and self.optional:
            return
        if self.choices and value not in self.choices:
            raise UsageError(f"{owner} option {self.name} must be one of {', '.join(map(str, self.choices))}, "
                             f"not {value!r}")
        if self.range is not None and isinstance(value, (int, float)):
            low, high = self.range.low, self.range.high
            if (low is not None and value < low) or (high is not None and value > high):
                raise UsageError(f"{owner} option {self.name} must be from {low:g} to {high:g}, not {value!r}")

    def describe(self) -> str:
        default = "auto" if self.default is None else str(self.default).lower() if self.type is bool else self.default
        return f"{self.name}={self.type_text()} (default {default})" + (f": {self.help}" if self.help else "")


def _unpack(annotation: Any) -> tuple[type, tuple | None, Range | None, str, bool]:
    """(type, choices, range, help, optional) of a parameter's annotation."""
    bounds, help_text = None, ""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extras = typing.get_args(annotation)
        bounds = next((e for e in extras if isinstance(e, Range)), None)
        help_text = next((e for e in extras if isinstance(e, str)), "")
    args = typing.get_args(annotation)
    if type(None) in args:  # X | None, Optional[X]
        rest = [a for a in args if a is not type(None)]
        kind, choices, inner_bounds, inner_help, _ = _unpack(rest[0] if len(rest) == 1 else str)
        return kind, choices, bounds or inner_bounds, help_text or inner_help, True
    choices = None
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        annotation = type(choices[0]) if choices else str
    return (annotation if isinstance(annotation, type) else str), choices, bounds, help_text, False


def plugin_options(cls: type) -> list[Option]:
    """The options ``cls`` declares: its constructor's keyword parameters that have a default."""
    try:
        hints = typing.get_type_hints(cls.__init__, include_extras=True)
    except Exception:  # noqa: BLE001 - a plug-in whose annotations cannot be resolved: plain strings
        hints = {}
    options = []
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is inspect.Parameter.empty:
            continue
        kind, choices, bounds, help_text, optional = _unpack(hints.get(parameter.name, type(parameter.default)))
        if parameter.default is None:
            optional = True
        if kind is str and parameter.default is not None and not isinstance(parameter.default, str):
            kind = type(parameter.default)
        options.append(Option(parameter.name, kind, parameter.default, choices, bounds, help_text, optional))
    return options


def parse_options(cls: type, pairs: Iterable[str], owner: str) -> dict[str, Any]:
    """``NAME=VALUE`` strings as keyword options of ``cls``, each converted by its declaration."""
    declared = {option.name: option for option in plugin_options(cls)}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise UsageError(f"{owner} option {pair!r}: write it as NAME=VALUE ({_valid(declared)})")
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"{owner} has no option {name!r}.{hint} {_valid(declared).capitalize()}")
        out[name] = declared[name].convert(text, owner)
    return out


def _valid(declared: dict[str, Option]) -> str:
    return f"valid options: {', '.join(declared)}" if declared else "it takes no options"


def option_values(plugin: Any) -> dict[str, Any]:
    """The values a plug-in runs with, for its declared options (its attributes of the same names)."""
    return {option.name: getattr(plugin, option.name, option.default) for option in plugin_options(type(plugin))}


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

    def options(self, name: str) -> list[Option]:
        return plugin_options(self.get(name))

    def create(self, name: str, options: dict[str, Any] | None = None) -> P:
        """The plug-in ``name`` built with ``options``, each checked against its declaration first."""
        cls = self.get(name)
        declared = {option.name: option for option in plugin_options(cls)}
        for key, value in (options or {}).items():
            if key in declared:
                declared[key].check(value, f"{self.kind} {name!r}")
        return cls(**(options or {}))

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._plugins
