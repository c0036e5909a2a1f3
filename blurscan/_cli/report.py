"""``blurscan report OUTDIR``: rebuild report.html and the summaries from the results, without scanning."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from blurscan._cli import app, friendly_errors, setup_logging
from blurscan._cli.options import QuietOpt, VerboseOpt


class Lang(str, Enum):
    en = "en"
    zh = "zh"


@app.command()
def report(
    output: Annotated[Path, typer.Argument(help="The output folder of `blurscan batch` (or `blurscan detect -o`).", show_default=False, metavar="OUTDIR")],
    lang: Annotated[Optional[Lang], typer.Option("--lang", help="Language of statistics.md and report.html: en or zh (default: the batch's).", show_default=False)] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Rebuild report.html, summary.csv, segments.csv, statistics.md and results.json in OUTDIR
    from its per-video results (manifest.jsonl, else every <video>.json), without scanning again."""
    from blurscan._cli.progress import stderr
    from blurscan.report.escape import terminal_markup
    from blurscan.report.rebuild import rebuild

    setup_logging(verbose, quiet)
    with friendly_errors():
        rows = rebuild(output, lang.value if lang else None)
    if not quiet:
        errors = sum(r.get("status") != "ok" for r in rows)
        stderr.print(
            f"rebuilt report.html, summary.csv, segments.csv, statistics.md and results.json for {len(rows)} "
            f"video(s){f' ({errors} failed)' if errors else ''} in {terminal_markup(output)}",
            highlight=False, soft_wrap=True,
        )
