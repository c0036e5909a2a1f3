"""``blurscan list``: the scorers and detectors this installation has, one line each, with what they need."""

from __future__ import annotations

import typer

from blurscan._cli import app


@app.command("list")
def list_plugins() -> None:
    """List the scorers and detectors (built in and installed plug-ins), with what each needs."""
    from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
    from blurscan.scorers import SCORERS
    from blurscan.settings import DEFAULT_SCORER

    for kind, registry, default in (("scorer", SCORERS, DEFAULT_SCORER), ("detector", DETECTORS, DEFAULT_DETECTOR)):
        for name in registry.names():
            plugin = registry.get(name)
            needs = "GPU" if getattr(plugin, "uses_gpu", False) else "CPU"
            mark = " (default)" if name == default else ""
            description = getattr(plugin, "description", "") or ""
            typer.echo(f"{kind:<9} {name + mark:<20} {needs:<4} {description}")
