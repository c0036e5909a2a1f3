"""``blurscan detect VIDEO...``: scan videos one after another with one loaded scorer."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from blurscan._cli import app, debug_mode, fail, friendly_errors, print_error, setup_logging
from blurscan._cli.options import (
    DEFAULTS,
    BatchOpt,
    CameraMotionOpt,
    CompatOpt,
    DetectorOpt,
    DeviceOpt,
    DtypeOpt,
    LangOpt,
    MeasureOpt,
    ModelOpt,
    OutDirOpt,
    PlotOpt,
    ThumbnailsOpt,
    QuietOpt,
    ScorerOpt,
    SensitivityOpt,
    StreamOpt,
    VerboseOpt,
    VisionAttentionOpt,
    WindowOpt,
    WorkingWidthOpt,
    build_settings,
)
from blurscan._cli.progress import DetectProgress, stderr
from blurscan.errors import as_blurscan_error, path_text
from blurscan.io.escape import csv_cell, terminal_markup


class Format(str, Enum):
    json = "json"
    csv = "csv"


def summary_line(data: dict, written: dict | None = None, lang: str = "en") -> str:
    """One line of rich markup about a finished video: the verdict, where the blur events are, the shots soft
    throughout, and the effective resolution when it is clearly below the frame size, as timecodes
    (names, paths and reasons escaped; words in ``lang``)."""
    from blurscan.report.labels import severity_label, size_text, text
    from blurscan.report.shots import clearly_below, event_segments, frame_size, shot_list, soft_shots, video_effective_size

    video = {**data["video"], "name": terminal_markup(data["video"]["name"])}
    where = f" → {terminal_markup(written['.json'])}" if written else ""
    frames = text("frames", lang)
    severity = severity_label(data["severity"], lang)
    if data.get("blurry_throughout"):
        head = (f"[yellow]{video['name']}[/yellow]: {text('blurry throughout', lang)} ({severity}), "
                f"{len(data['blur_frames'])}/{video['frames']} {frames}")
    elif data["blur_detected"]:
        head = (f"[yellow]{video['name']}[/yellow]: {severity}, {len(data['blur_frames'])}/{video['frames']} {frames} "
                f"({data['blur_ratio']:.1%})")
    else:
        head = f"[green]{video['name']}[/green]: {text('no blur found', lang)} ({video['frames']} {frames})"

    shots = shot_list(data)
    events = event_segments(data)
    if events and (shots is not None or not data.get("blurry_throughout")):  # an older result: as it was shown
        first = ", ".join(
            f"{s.get('start_tc', s.get('start_s'))}–{s.get('end_tc', s.get('end_s'))} ({frames} {s.get('start_frame')}–{s.get('end_frame')})"
            for s in events[:4]
        )
        more = f" (+{len(events) - 4})" if len(events) > 4 else ""
        head += f", {len(events)} {text('segments', lang)}: {terminal_markup(first)}{more}"
    parts = []
    frame_w, frame_h = frame_size(data)
    soft = soft_shots(data)
    if soft:
        parts.append(f"{text('soft throughout', lang)}: " + ", ".join(_soft_shot_text(s, frame_w, frame_h, lang) for s in soft[:4])
                     + (f" (+{len(soft) - 4})" if len(soft) > 4 else ""))
    width, height, detail = video_effective_size(data)
    said = len(soft) == 1 and len(shots or ()) == 1  # one shot, soft: its size is the video's
    if clearly_below(detail) and not said:
        size = size_text(width, height, frame_w, frame_h, detail, lang, lead="effective resolution")
        if size:
            parts.append(size)
    return head + "".join(f"; {p}" for p in parts) + where


def _soft_shot_text(shot: dict, frame_width: int | None, frame_height: int | None, lang: str) -> str:
    """"00:00:00.000–00:00:04.000 (shot 1, moderate, holds about 330x185 of 1280x720)", escaped for rich."""
    from blurscan.report.labels import severity_label, size_text, text
    from blurscan.report.shots import count, effective_size

    width, height, detail = effective_size(shot)
    index = count(shot.get("index"))
    about = [f"{text('shot', lang)} {index + 1}" if index is not None else None]
    if shot.get("severity") in ("mild", "moderate", "severe"):
        about.append(severity_label(shot["severity"], lang))
    size = size_text(width, height, frame_width, frame_height, None, lang, lead="holds")
    if size:
        about.append(size)
    elif shot.get("reason"):
        about.append(str(shot["reason"]))
    span = f"{shot.get('start_tc', shot.get('start_s'))}–{shot.get('end_tc', shot.get('end_s'))}"
    return terminal_markup(span + " (" + ", ".join(a for a in about if a) + ")")


@app.command()
def detect(
    videos: Annotated[list[Path], typer.Argument(help="Video files to scan.", show_default=False, metavar="VIDEO")],
    output: OutDirOpt = None,
    scorer: ScorerOpt = DEFAULTS["scorer"],
    detector: DetectorOpt = None,
    window_size: WindowOpt = DEFAULTS["window_size"],
    batch_size: BatchOpt = DEFAULTS["batch_size"],
    sensitivity: SensitivityOpt = None,
    compat: CompatOpt = None,
    camera_motion: CameraMotionOpt = DEFAULTS["camera_motion"],
    measure: MeasureOpt = None,
    working_width: WorkingWidthOpt = None,
    stream: StreamOpt = None,
    device: DeviceOpt = DEFAULTS["device"],
    model: ModelOpt = None,
    dtype: DtypeOpt = DEFAULTS["dtype"],
    vision_attention: VisionAttentionOpt = DEFAULTS["vision_attention"],
    plot: PlotOpt = False,
    thumbnails: ThumbnailsOpt = True,
    lang: LangOpt = DEFAULTS["lang"],
    format: Annotated[Format, typer.Option("--format", "-f", help="What to print when no --output is given: the result JSON or the per-frame CSV.", rich_help_panel="Output")] = Format.json,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Find blurry frames and segments in each VIDEO.

    With -o OUTDIR, writes OUTDIR/<video>.json (schema blurscan/1) and
    OUTDIR/<video>.frames.csv (and <video>.png with --plot); without it, prints
    the JSON (or with --format csv the per-frame table) to standard output.
    """
    from blurscan.scanner import Scanner
    from blurscan.errors import OutputError
    from blurscan.io.atomic import FATAL_ERRNOS, make_output_dir
    from blurscan.report.files import dump_result_json, frames_csv, render_outputs, write_outputs
    from blurscan.io.names import stable_stems
    from blurscan.result import error_result

    setup_logging(verbose, quiet)
    if plot and output is None:
        fail("--plot needs --output (a folder to write the PNG to)", 2)
    with friendly_errors():
        settings = build_settings(
            scorer=scorer, detector=detector, window_size=window_size, batch_size=batch_size,
            sensitivity=sensitivity, compat=compat, camera_motion=camera_motion, measure=measure,
            working_width=working_width, stream=stream, device=device, model=model, dtype=dtype, vision_attention=vision_attention,
            lang=lang,
        )
        if output is not None and output.exists() and not output.is_dir():
            fail(f"{output}: exists and is not a folder; choose another --output", 2)
        if output is not None:
            make_output_dir(output)
        scanner = Scanner(settings)
    exit_code = 0
    csv_header = True
    as_list = len(videos) > 1 and output is None and format is Format.json
    stems = stable_stems(((p.stem,), str(p)) for p in videos)

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
            elif format is Format.json:
                emit_json(result)
            else:
                frames_csv(result, sys.stdout, video_column=csv_cell(path_text(path)) if len(videos) > 1 else None, header=csv_header)
                csv_header = False
            if not quiet:
                stderr.print(summary_line(result.to_dict(include_scores=False), written, settings.lang), soft_wrap=True)
    if as_list and emitted:
        sys.stdout.write("]\n")
    raise typer.Exit(exit_code)
