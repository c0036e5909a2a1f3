"""``blurscan report DATASET``: the batch summaries of a Parquet dataset."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from blurscan._cli import app, friendly_errors, setup_logging
from blurscan._cli.options import QuietOpt, VerboseOpt
from blurscan._cli.progress import stderr


@app.command()
def report(
    dataset: Annotated[str, typer.Argument(help="The -o folder (or URL) of a batch run with --output-format parquet.", show_default=False)],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Folder for the summaries (default: the dataset's folder).", show_default=False)] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write summary.csv, statistics.md and report.html from a batch's Parquet dataset."""
    from blurscan.report.from_dataset import write_dataset_summaries

    setup_logging(verbose, quiet)
    with friendly_errors():
        written = write_dataset_summaries(dataset, output)
    if not quiet:
        stderr.print("Wrote " + ", ".join(str(p) for p in written), soft_wrap=True, markup=False, highlight=False)
