"""Scorer plug-ins: one class per file, found by name through :data:`SCORERS`."""

from __future__ import annotations

from blurscan.registry import Registry
from blurscan.scorers.base import Scorer

SCORERS: Registry[Scorer] = Registry("scorer", "blurscan.scorers")


def create_scorer(name: str = "sharpness", **options) -> Scorer:
    """Build the scorer registered as ``name`` with its own keyword options."""
    return SCORERS.create(name, options)


from blurscan.scorers import qalign, sharpness  # noqa: E402,F401  (built-ins register on import)

__all__ = ["SCORERS", "Scorer", "create_scorer"]
