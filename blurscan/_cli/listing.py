"""``blurscan list``: the scorers, detectors and engines this installation has, with what they need and their options."""

from __future__ import annotations

import typer

from blurscan._cli import app


@app.command("list")
def list_plugins() -> None:
    """List the scorers, detectors and batch engines (built in and installed plug-ins): what each needs,
    and the options each takes (--option NAME=VALUE for the scorer, --detector-option for the detector)."""
    from blurscan.batch.engines import ENGINES
    from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
    from blurscan.scorers import SCORERS
    from blurscan.settings import DEFAULT_SCORER

    for kind, registry, default, flag in (("scorer", SCORERS, DEFAULT_SCORER, "--option"),
                                          ("detector", DETECTORS, DEFAULT_DETECTOR, "--detector-option"),
                                          ("engine", ENGINES, "local", None)):
        for name in registry.names():
            plugin = registry.get(name)
            needs = "GPU" if getattr(plugin, "uses_gpu", False) else "CPU"
            mark = " (default)" if name == default else ""
            description = (getattr(plugin, "description", "") or (plugin.__doc__ or "").strip().split("\n")[0])
            typer.echo(f"{kind:<9} {name + mark:<20} {needs:<4} {description}")
            if flag is None:
                continue
            for option in registry.options(name):
                typer.echo(f"{'':<10}{flag} {option.describe()}")
