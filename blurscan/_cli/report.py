"""``blurscan report OUTDIR``: rebuild report.html and the summaries from the results, without scanning.

OUTDIR is the output of ``batch`` (or ``detect -o``): its per-video results are
read again. For a batch written with ``--output-format parquet`` (a local folder
or an object-storage URL), the summaries are made from the Parquet dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from blurscan._cli import app, friendly_errors, setup_logging
from blurscan._cli.options import QuietOpt, VerboseOpt
from blurscan.messages import LANGS


@app.command()
def report(
    output: Annotated[str, typer.Argument(help="The output folder of `blurscan batch` (or `blurscan detect -o`); for a batch with --output-format parquet also an object-storage URL.", show_default=False, metavar="OUTDIR")],
    lang: Annotated[Optional[Literal[LANGS]], typer.Option("--lang", help="Language of statistics.md and report.html: en or zh (default: the batch's).", show_default=False)] = None,
    summaries: Annotated[Optional[str], typer.Option("--output", "-o", help="Parquet datasets only: the folder for the summaries (default: the dataset's own folder).", show_default=False)] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Rebuild report.html, summary.csv, segments.csv, statistics.md and results.json in OUTDIR
    from its per-video results (manifest.jsonl, else every <video>.json), without scanning again;
    for a Parquet dataset, write summary.csv, statistics.md and report.html from its rows."""
    from blurscan._cli.progress import stderr
    from blurscan.batch.summaries import is_dataset, rebuild, write_dataset_summaries
    from blurscan.io.escape import terminal_markup

    setup_logging(verbose, quiet)
    with friendly_errors():
        if is_dataset(output):
            written = write_dataset_summaries(output, summaries, lang)
            message = "wrote " + ", ".join(str(p) for p in written)
        else:
            rows = rebuild(Path(output), lang)
            errors = sum(r.get("status") != "ok" for r in rows)
            message = (f"rebuilt report.html, summary.csv, segments.csv, statistics.md and results.json for {len(rows)} "
                       f"video(s){f' ({errors} failed)' if errors else ''} in {output}")
    if not quiet:
        stderr.print(terminal_markup(message), highlight=False, soft_wrap=True)
