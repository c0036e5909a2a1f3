"""``blurscan batch DIR_OR_LIST -o OUTDIR``: every video of a folder or list, resumable."""

from __future__ import annotations

import contextlib
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
    DurationOpt,
    EndOpt,
    LangOpt,
    MeasureOpt,
    ModelOpt,
    PlotOpt,
    QuietOpt,
    ScorerOpt,
    ScorerOptionOpt,
    SensitivityOpt,
    StartOpt,
    StreamOpt,
    ThumbnailSizeOpt,
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
from blurscan.report.labels import counted


@app.command()
def batch(
    source: Annotated[str, typer.Argument(help="A folder (searched recursively for videos and .tar shards), a glob, a .tar shard (its video members read in place), or a list file (text, one path per line; CSV or Parquet with a 'path' column); local or a URL (s3://, gs://, az://, http(s)://).", show_default=False, metavar="DIR_OR_LIST")],
    output: Annotated[str, typer.Option("--output", "-o", metavar="OUTDIR", help="Folder for the results (with --output-format parquet also an object-storage URL).", rich_help_panel="Output", show_default=False)],
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
    thumbnail_size: ThumbnailSizeOpt = DEFAULTS["thumbnail_size"],
    start: StartOpt = None,
    end: EndOpt = None,
    duration: DurationOpt = None,
    lang: LangOpt = DEFAULTS["lang"],
    split: Annotated[bool, typer.Option("--split", help="Also cut each video's blurry segments out: its sharp stretches as clips beside its results (<video>.clip001.mp4 ..., <video>.cuts.json).", rich_help_panel="Cutting")] = False,
    min_clip: Annotated[str, typer.Option("--min-clip", metavar="LENGTH", help="With --split: keep only sharp stretches at least this long: seconds (2.5), frames (48f) or a timecode (00:00:02.500).", rich_help_panel="Cutting")] = "0",
    copy: Annotated[bool, typer.Option("--copy", help="With --split: stream copy (fast, lossless; clips start at keyframes) instead of exact re-encoded cuts.", rich_help_panel="Cutting")] = False,
    keep_whole: Annotated[bool, typer.Option("--keep-whole", help="With --split: also write a video with no blur as one clip (by default it is not cut: the clip would be a copy of the video).", rich_help_panel="Cutting")] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Scan every video of DIR_OR_LIST into the folder -o OUTDIR.

    Writes <video>.json and <video>.frames.csv per video (and <video>.png with
    --plot), plus summary.csv, results.json (all results, without per-frame
    scores), statistics.md, report.html and manifest.jsonl (the journal
    --resume reads). With --output-format parquet: videos/part-*.parquet, one
    row per video (and frames/ with --frame-scores); `blurscan report OUTDIR`
    makes the summaries. A bad video gets an error entry and the others
    finish; the exit code is 1 if any video failed.
    """
    from blurscan._cli.quiet import native_stderr_silenced
    from blurscan._cli.split import min_clip_option
    from blurscan.batch import BatchSettings, run_batch

    setup_logging(verbose, quiet)
    with friendly_errors():
        split_options = min_clip_option(min_clip, copy, keep_whole=keep_whole)
    if split and (start is not None or end is not None or duration is not None):
        fail("--split cuts whole videos: leave out --start, --end and --duration, or scan without --split", 2)
    if (copy or keep_whole or split_options.min_clip_s or split_options.min_clip_frames) and not split:
        fail("--copy, --keep-whole and --min-clip apply to --split; add --split to cut the videos", 2)
    with friendly_errors():
        settings = build_settings(
            scorer=scorer, detector=detector, window_size=window_size, batch_size=batch_size, compat=compat,
            camera_motion=camera_motion, stream=stream, lang=lang, options=option, detector_options=detector_option,
            sensitivity=sensitivity, measure=measure, working_width=working_width, device=device, model=model,
            dtype=dtype, vision_attention=vision_attention, start=start, end=end, duration=duration,
            thumbnail_size=thumbnail_size,
        )
        batch_settings = BatchSettings(
            workers=workers, resume=resume, engine=engine, ray_address=ray_address, output_format=output_format,
            frame_scores=frame_scores, plot=plot, thumbnails=thumbnails is not False,
            split=split_options if split else None,
        )
    bars = BatchBars(enabled=not quiet)
    # -q with Ray: its C++ core worker and its own loggers write to the process's stderr themselves
    silenced = native_stderr_silenced() if quiet and engine != "local" else contextlib.nullcontext()
    with friendly_errors(kept=lambda: _kept(bars, output, output_format)), silenced:
        summary = run_batch(source, output, settings, batch_settings, progress=bars)
    if not quiet:
        scanned_ok = summary.total - summary.errors
        stderr.print(
            f"{counted(summary.total, 'video', 'videos')}: {summary.blurry:,} with blur, {scanned_ok - summary.blurry:,} "
            f"without, {counted(summary.errors, 'error', 'errors')}"
            + (f"; {summary.skipped:,} already done" if summary.skipped else "")
            + (f"; {len(summary.unreadable_folders):,} folder{'' if len(summary.unreadable_folders) == 1 else 's'} could not be read (skipped, see the warnings)"
               if summary.unreadable_folders else "")
            + (f". Results in {terminal_text(summary.out_dir)}/ (report.html, summary.csv, results.json, statistics.md)"
               if output_format == "json" else
               f". Rows in {terminal_text(summary.out_dir)}/videos/ (Parquet; `blurscan report {terminal_text(summary.out_dir)}` writes the summaries)"),
            soft_wrap=True,
            markup=False,
        )
    raise typer.Exit(1 if summary.errors else 0)


def _kept(bars: BatchBars, output: str, output_format: str) -> str | None:
    """What an interrupted batch keeps, and that ``--resume`` goes on from there."""
    counts = bars.kept()
    if counts is None:
        return None
    done, total = counts
    where = (f"rows in {terminal_text(output)}" if output_format == "parquet"
             else f"in {terminal_text(output)}, with its summaries")
    videos = "video" if total == 1 else "videos"
    return (f"{done:,} of {total:,} {videos} done and kept ({where}); run the same command with --resume "
            f"to scan the other {total - done:,}")
