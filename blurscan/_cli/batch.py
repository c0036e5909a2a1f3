"""``blurscan batch DIR_OR_LIST -o OUTDIR``: every video of a folder or list, resumable."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer

from blurscan._cli import app, fail, friendly_errors, setup_logging
from blurscan._cli.options import (
    DEFAULTS,
    BatchOpt,
    CameraMotionOpt,
    CompatOpt,
    DetectorOpt,
    DetectorOptionOpt,
    DeviceOpt,
    DtypeOpt,
    LangOpt,
    MeasureOpt,
    ModelOpt,
    PlotOpt,
    QuietOpt,
    ScorerOpt,
    ScorerOptionOpt,
    SensitivityOpt,
    StreamOpt,
    ThumbnailsOpt,
    VerboseOpt,
    VisionAttentionOpt,
    WindowOpt,
    WorkingWidthOpt,
    build_settings,
)
from blurscan._cli.progress import BatchBars, stderr
from blurscan.batch import OUTPUT_FORMATS
from blurscan.batch.engines import ENGINES
from blurscan.io.escape import terminal_text


@app.command()
def batch(
    source: Annotated[str, typer.Argument(help="A folder (searched recursively for videos and .tar shards), a glob, a .tar shard (its video members read in place), or a list file (text, one path per line; CSV or Parquet with a 'path' column); local or a URL (s3://, gs://, az://, http(s)://).", show_default=False, metavar="DIR_OR_LIST")],
    output: Annotated[str, typer.Option("--output", "-o", help="Folder for the results (with --output-format parquet also an object-storage URL).", rich_help_panel="Output", show_default=False)],
    output_format: Annotated[Literal[OUTPUT_FORMATS], typer.Option("--output-format", help="json: files per video and summaries (small batches); parquet: one row per video in a sharded Parquet dataset (millions of clips).", rich_help_panel="Output")] = "json",
    frame_scores: Annotated[bool, typer.Option("--frame-scores", help="With --output-format parquet: also write the per-frame scores (frames/ dataset).", rich_help_panel="Output")] = False,
    workers: Annotated[int, typer.Option("--workers", "-j", min=1, max=65536, help="Videos scanned in parallel (processes locally, actors on Ray; one GPU each for GPU scorers); lowered to the free CPUs (GPUs), with a warning.")] = 1,
    resume: Annotated[bool, typer.Option("--resume", help="Skip videos already done in OUTDIR by an earlier, interrupted run with the same settings.")] = False,
    engine: Annotated[str, typer.Option("--engine", metavar="NAME", help=f"Where the videos are scanned: {', '.join(ENGINES.names())}. local: this machine; ray: a Ray cluster (RAY_ADDRESS or --ray-address).")] = "local",
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Ray cluster address (e.g. auto, ray://head:10001); default RAY_ADDRESS or a local Ray.", show_default=False)] = None,
    scorer: ScorerOpt = DEFAULTS["scorer"],
    detector: DetectorOpt = None,
    option: ScorerOptionOpt = None,
    detector_option: DetectorOptionOpt = None,
    window_size: WindowOpt = DEFAULTS["window_size"],
    batch_size: BatchOpt = DEFAULTS["batch_size"],
    sensitivity: SensitivityOpt = None,
    compat: CompatOpt = None,
    camera_motion: CameraMotionOpt = DEFAULTS["camera_motion"],
    measure: MeasureOpt = None,
    working_width: WorkingWidthOpt = None,
    stream: StreamOpt = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    dtype: DtypeOpt = None,
    vision_attention: VisionAttentionOpt = None,
    plot: PlotOpt = False,
    thumbnails: ThumbnailsOpt = True,
    lang: LangOpt = DEFAULTS["lang"],
    split: Annotated[bool, typer.Option("--split", help="Also cut each video's blurry segments out: its sharp stretches as clips beside its results (<video>.clip001.mp4 ..., <video>.cuts.json).", rich_help_panel="Cutting")] = False,
    min_clip: Annotated[float, typer.Option("--min-clip", min=0.0, help="With --split: keep only sharp stretches at least this many seconds long.", rich_help_panel="Cutting")] = 0.0,
    copy: Annotated[bool, typer.Option("--copy", help="With --split: stream copy (fast, lossless; clips start at keyframes) instead of exact re-encoded cuts.", rich_help_panel="Cutting")] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Scan every video of SOURCE into OUTDIR.

    Writes <video>.json and <video>.frames.csv per video (and <video>.png with
    --plot), plus summary.csv, results.json (all results, without per-frame
    scores), statistics.md, report.html and manifest.jsonl (the journal
    --resume reads). With --output-format parquet: videos/part-*.parquet, one
    row per video (and frames/ with --frame-scores); `blurscan report OUTDIR`
    makes the summaries. A bad video gets an error entry and the others
    finish; the exit code is 1 if any video failed.
    """
    from blurscan.batch import BatchSettings, run_batch
    from blurscan.cut.batch import SplitOptions

    setup_logging(verbose, quiet)
    if (copy or min_clip) and not split:
        fail("--copy and --min-clip apply to --split; add --split to cut the videos", 2)
    with friendly_errors():
        settings = build_settings(
            scorer=scorer, detector=detector, window_size=window_size, batch_size=batch_size, compat=compat,
            camera_motion=camera_motion, stream=stream, lang=lang, options=option, detector_options=detector_option,
            sensitivity=sensitivity, measure=measure, working_width=working_width, device=device, model=model,
            dtype=dtype, vision_attention=vision_attention,
        )
        batch_settings = BatchSettings(
            workers=workers, resume=resume, engine=engine, ray_address=ray_address, output_format=output_format,
            frame_scores=frame_scores, plot=plot, thumbnails=thumbnails,
            split=SplitOptions(min_clip, copy) if split else None,
        )
        summary = run_batch(source, output, settings, batch_settings, progress=BatchBars(enabled=not quiet))
    if not quiet:
        scanned_ok = summary.total - summary.errors
        stderr.print(
            f"{summary.total} video(s): {summary.blurry} with blur, {scanned_ok - summary.blurry} without, "
            f"{summary.errors} error(s)"
            + (f"; {summary.skipped} already done" if summary.skipped else "")
            + (f". Results in {terminal_text(summary.out_dir)}/ (report.html, summary.csv, results.json, statistics.md)"
               if output_format == "json" else
               f". Rows in {terminal_text(summary.out_dir)}/videos/ (Parquet; `blurscan report {terminal_text(summary.out_dir)}` writes the summaries)"),
            soft_wrap=True,
            markup=False,
        )
    raise typer.Exit(1 if summary.errors else 0)
