"""``blurscan detect VIDEO...``: scan videos one after another with one loaded scorer."""

from __future__ import annotations

import sys
from pathlib import PurePosixPath
from typing import Annotated, Literal

import typer

from blurscan._cli import app, debug_mode, fail, friendly_errors, print_error, setup_logging
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
    OutDirOpt,
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
from blurscan._cli.progress import DetectProgress, stderr
from blurscan.errors import as_blurscan_error, path_text
from blurscan.io.escape import csv_cell, terminal_markup
from blurscan.report.labels import severity_label, size_text, verdict_label, word
from blurscan.result.model import VideoResult, clearly_below
from blurscan.timecode import clock

#: what ``detect`` prints without ``--output``
FORMATS = ("json", "csv")


def summary_line(result: VideoResult, written: dict | None = None, lang: str = "en") -> str:
    """One line of rich markup about a finished video: the verdict, where the blur events are, the shots soft
    throughout, and the effective resolution when it is clearly below the frame size, as timecodes
    (names, paths and reasons escaped; words in ``lang``)."""
    video = result.video
    name = terminal_markup(video.name)
    where = f" → {terminal_markup(written['.json'])}" if written else ""
    frames = word("frames", lang)
    severity = severity_label(result.verdict.severity, lang)
    flagged = len(result.blur_frames)
    if result.verdict.blurry_throughout:
        head = f"[yellow]{name}[/yellow]: {verdict_label('blurry_throughout', lang)} ({severity}), {flagged}/{video.frames} {frames}"
    elif result.verdict.blur_detected:
        head = f"[yellow]{name}[/yellow]: {severity}, {flagged}/{video.frames} {frames} ({result.blur_ratio:.1%})"
    else:
        head = f"[green]{name}[/green]: {verdict_label('no_blur', lang)} ({video.frames} {frames})"
    events = result.events
    if events:
        first = ", ".join(f"{s.start_tc}–{s.end_tc} ({frames} {s.start_frame}–{s.end_frame})" for s in events[:4])
        more = f" (+{len(events) - 4})" if len(events) > 4 else ""
        head += f", {len(events)} {word('blur_events', lang)}: {terminal_markup(first)}{more}"
    parts = []
    soft = result.soft_shots
    if soft:
        parts.append(f"{word('soft_throughout', lang)}: " + ", ".join(_soft_shot_text(s, video, lang) for s in soft[:4])
                     + (f" (+{len(soft) - 4})" if len(soft) > 4 else ""))
    said = len(soft) == 1 and len(result.shots) == 1  # one shot, soft: its size is the video's
    if clearly_below(video.detail) and not said:
        size = size_text(video.effective_width, video.effective_height, video.width, video.height, video.detail, lang,
                         lead="effective_resolution")
        if size:
            parts.append(size)
    return head + "".join(f"; {p}" for p in parts) + where


def _soft_shot_text(shot, video, lang: str) -> str:
    """"00:00:00.000–00:00:04.000 (shot 1, moderate, holds about 330x185 of 1280x720)", escaped for rich."""
    about = [f"{word('shot', lang)} {shot.index + 1}"]
    if shot.severity in ("mild", "moderate", "severe"):
        about.append(severity_label(shot.severity, lang))
    size = size_text(shot.effective_width, shot.effective_height, video.width, video.height, None, lang, lead="holds")
    if size:
        about.append(size)
    elif shot.reason(lang):
        about.append(shot.reason(lang))
    return terminal_markup(f"{clock(shot.start_s)}–{clock(shot.end_s)} (" + ", ".join(about) + ")")


@app.command()
def detect(
    videos: Annotated[list[str], typer.Argument(help="Video files (or URLs, or tar members as tar://MEMBER::SHARD.tar) to scan.", show_default=False, metavar="VIDEO")],
    output: OutDirOpt = None,
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
    format: Annotated[Literal[FORMATS], typer.Option("--format", "-f", help="What to print when no --output is given: the result JSON or the per-frame CSV.", rich_help_panel="Output")] = "json",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Find blurry frames and segments in each VIDEO.

    With -o OUTDIR, writes OUTDIR/<video>.json (schema blurscan/2) and
    OUTDIR/<video>.frames.csv (and <video>.png with --plot); without it, prints
    the JSON (or with --format csv the per-frame table) to standard output.
    """
    from blurscan.errors import OutputError
    from blurscan.io.atomic import FATAL_ERRNOS, make_output_dir
    from blurscan.io.names import stable_stems
    from blurscan.report.outputs import dump_result_json, frames_csv, render_outputs, write_outputs
    from blurscan.result.model import error_result
    from blurscan.scanner import Scanner
    from blurscan.source.remote import as_video_path

    setup_logging(verbose, quiet)
    if plot and output is None:
        fail("--plot needs --output (a folder to write the PNG to)", 2)
    with friendly_errors():
        settings = build_settings(
            scorer=scorer, detector=detector, window_size=window_size, batch_size=batch_size, compat=compat,
            camera_motion=camera_motion, stream=stream, lang=lang, options=option, detector_options=detector_option,
            sensitivity=sensitivity, measure=measure, working_width=working_width, device=device, model=model,
            dtype=dtype, vision_attention=vision_attention,
        )
        if output is not None and output.exists() and not output.is_dir():
            fail(f"{output}: exists and is not a folder; choose another --output", 2)
        if output is not None:
            make_output_dir(output)
        scanner = Scanner(settings)
    exit_code = 0
    csv_header = True
    as_list = len(videos) > 1 and output is None and format == "json"
    videos = [as_video_path(v) for v in videos]  # a URL stays a URL (a Path would fold its '//')
    stems = stable_stems(((PurePosixPath(p.name).stem,), str(p)) for p in videos)

    emitted = 0

    def emit_json(entry) -> None:
        """Stream one result to standard output (several videos: as one JSON list)."""
        nonlocal emitted
        if as_list:
            sys.stdout.write(",\n" if emitted else "[\n")
        dump_result_json(entry, sys.stdout)
        emitted += 1

    def save(stem, outputs) -> dict | None:
        nonlocal exit_code
        try:
            return write_outputs(output, stem, outputs)
        except OutputError as ex:
            if ex.errno in FATAL_ERRNOS:
                raise
            print_error(str(ex))
            exit_code = max(exit_code, 1)
            return None

    with friendly_errors(), scanner, DetectProgress(enabled=not quiet) as bars:
        for path, stem in zip(videos, stems):
            try:
                result = scanner.scan(path, bars.video(), thumbnails=thumbnails and output is not None)
            except Exception as ex:  # noqa: BLE001 - report it and go on with the next video
                if debug_mode():
                    raise
                error = as_blurscan_error(path, ex)
                exit_code = max(exit_code, error.exit_code)
                print_error(str(error))
                entry = error_result(path, error, scanner.describe())
                if output is not None:
                    save(stem, render_outputs(entry))
                elif as_list:
                    emit_json(entry)
                continue
            written = None
            if output is not None:
                outputs = render_outputs(result, plot=plot)
                written = save(stem, outputs)
            elif format == "json":
                emit_json(result)
            else:
                frames_csv(result, sys.stdout, video_column=csv_cell(path_text(path)) if len(videos) > 1 else None, header=csv_header)
                csv_header = False
            if not quiet:
                stderr.print(summary_line(result, written, settings.lang), soft_wrap=True)
    if as_list and emitted:
        sys.stdout.write("]\n")
    raise typer.Exit(exit_code)
