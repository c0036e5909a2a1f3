"""``blurscan detect VIDEO...``: scan videos one after another with one loaded scorer."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal, Optional

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
    DurationOpt,
    EndOpt,
    LangOpt,
    MeasureOpt,
    ModelOpt,
    OutDirOpt,
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
from blurscan._cli.progress import DetectProgress, stderr
from blurscan.errors import as_blurscan_error, path_text
from blurscan.io.escape import csv_cell, terminal_markup
from blurscan.report.labels import cause_text, counted, severity_label, size_text, verdict_label, word
from blurscan.result.model import VideoResult, clearly_below
from blurscan.timecode import clock

#: what ``detect`` prints without ``--output``
FORMATS = ("json", "csv")


def _listed(items: list[str], room: int, width: int | None) -> list[str]:
    """The first items, as many as about two lines of ``width`` hold (at least one, at most ``room``)."""
    if width is None:
        return items[:room]
    kept, used = [], 0
    for item in items[:room]:
        if kept and used + len(item) + 2 > 2 * width:
            break
        kept.append(item)
        used += len(item) + 2
    return kept


def summary_line(result: VideoResult, written: dict | None = None, lang: str = "en", width: int | None = None) -> str:
    """One line of rich markup about a finished video: the verdict, where the blur events are, the shots soft
    throughout, and the effective resolution when it is clearly below the frame size, as timecodes
    (names, paths and reasons escaped; words in ``lang``). ``width``: the terminal's, which bounds how many
    events and soft shots are listed (None: up to four of each)."""
    video = result.video
    name = terminal_markup(video.name)
    where = f" → {terminal_markup(written['.json'])}" if written else ""
    if written and written.get("shared_name"):
        where += f" ({terminal_markup(written['shared_name'])}: another input has the same name)"
    frames = word("frames", lang)
    severity = severity_label(result.verdict.severity, lang)
    flagged = len(result.blur_frames)
    if result.verdict.blurry_throughout:
        head = f"[yellow]{name}[/yellow]: {verdict_label('blurry_throughout', lang)} ({severity}), {flagged:,}/{video.frames:,} {frames}"
    elif result.verdict.blur_detected:
        head = f"[yellow]{name}[/yellow]: {severity}, {flagged:,}/{video.frames:,} {frames} ({result.blur_ratio:.1%})"
    else:
        head = f"[green]{name}[/green]: {verdict_label('no_blur', lang)} ({counted(video.frames, 'frames', 'frames', lang)})"
    # on a narrow terminal fewer items are listed (the JSON has them all): at most about two lines of each list
    room = 4 if width is None else max(1, (2 * width) // 60)
    scanned = video.scanned or {}
    offset = int(scanned.get("first_frame") or 0)  # frames as the video numbers them, for a part of it
    events = result.events
    if events:
        first = _listed([f"{s.start_tc}–{s.end_tc} ({frames} {s.start_frame + offset:,}–{s.end_frame + offset:,}"
                         + (f", {cause_text(s.cause, lang)}" if s.cause is not None else "") + ")"
                         for s in events[:4]],
                        room, width)
        more = f" (+{len(events) - len(first)})" if len(events) > len(first) else ""
        head += f", {counted(len(events), 'blur_event', 'blur_events', lang)}: {terminal_markup(', '.join(first))}{more}"
    parts = []
    if scanned:
        parts.append(f"{word('scanned', lang)} {scanned.get('start_tc')}–{scanned.get('end_tc')} ({frames} {offset:,}–"
                     f"{offset + video.frames - 1:,} {word('of', lang)} {word('video', lang)})")
    soft = result.soft_shots
    if soft:
        shown = _listed([_soft_shot_text(s, video, lang) for s in soft[:4]], room, width)
        parts.append(f"{word('soft_throughout', lang)}: " + ", ".join(shown)
                     + (f" (+{len(soft) - len(shown)})" if len(soft) > len(shown) else ""))
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
    if shot.cause is not None:
        about.append(cause_text(shot.cause, lang))
    size = size_text(shot.effective_width, shot.effective_height, video.width, video.height, None, lang, lead="holds")
    if size:
        about.append(size)
    elif shot.reason(lang):
        about.append(shot.reason(lang))
    return terminal_markup(f"{clock(shot.start_s)}–{clock(shot.end_s)} (" + ", ".join(about) + ")")


def check_output_flags(to_folder: bool, *, plot: bool, thumbnails: bool | None, format: str | None) -> None:
    """One rule: a flag that cannot apply is an error (exit 2), never silently ignored. Files need a folder
    (--plot, --thumbnails); what to print (--format) is for standard output, without a folder."""
    if not to_folder:
        files = [flag for flag, given in (("--plot", plot), ("--thumbnails", thumbnails is True)) if given]
        if files:
            fail(f"{' and '.join(files)} {'write' if len(files) > 1 else 'writes'} files: add --output (a folder to write "
                 "them to)", 2)
    elif format is not None:
        fail("--format chooses what to print without --output; with --output the JSON and the frames CSV are "
             "both written: drop one of the two", 2)


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
    thumbnails: ThumbnailsOpt = None,
    thumbnail_size: ThumbnailSizeOpt = DEFAULTS["thumbnail_size"],
    start: StartOpt = None,
    end: EndOpt = None,
    duration: DurationOpt = None,
    lang: LangOpt = DEFAULTS["lang"],
    format: Annotated[Optional[Literal[FORMATS]], typer.Option("--format", "-f", help="What to print without --output: the result JSON (the default) or the per-frame CSV, with a video column.", rich_help_panel="Output", show_default=False)] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Find blurry frames and segments in each VIDEO.

    With -o OUTDIR, writes OUTDIR/<video>.json (schema blurscan/2),
    OUTDIR/<video>.frames.csv (and <video>.png with --plot) and OUTDIR/report.html
    of the videos scanned; without it, prints the JSON (or with --format csv the
    per-frame table) to standard output.
    """
    from blurscan.batch.manifest import MANIFEST_NAME, summary_row
    from blurscan.batch.summaries import REPORT_HTML
    from blurscan.errors import OutputError
    from blurscan.io.atomic import FATAL_ERRNOS, make_output_dir
    from blurscan.io.names import stable_stems
    from blurscan.report.html import write_report_html
    from blurscan.report.outputs import dump_result_json, frames_csv, render_outputs, write_outputs
    from blurscan.result.model import error_result
    from blurscan.scanner import Scanner
    from blurscan.source.remote import as_video_path

    setup_logging(verbose, quiet)
    check_output_flags(output is not None, plot=plot, thumbnails=thumbnails, format=format)
    format = format or "json"
    thumbnails = thumbnails is not False
    with friendly_errors():
        settings = build_settings(
            scorer=scorer, detector=detector, window_size=window_size, batch_size=batch_size, compat=compat,
            camera_motion=camera_motion, stream=stream, lang=lang, options=option, detector_options=detector_option,
            sensitivity=sensitivity, measure=measure, working_width=working_width, device=device, model=model,
            dtype=dtype, vision_attention=vision_attention, start=start, end=end, duration=duration,
            thumbnail_size=thumbnail_size,
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
    #: the name a video would get alone, where another input's name made it take its path's hash
    alone = {i: plain for i, (p, stem) in enumerate(zip(videos, stems))
             if (plain := stable_stems([((PurePosixPath(p.name).stem,), str(p))])[0]) != stem}

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

    rows: list[dict] = []  # report.html's, with --output

    def keep_row(entry, written: dict | None) -> None:
        if written:
            rows.append({**summary_row(entry, Path(written[".json"]).name), "relative_path": path_text(entry.video.path)})

    with friendly_errors(), closed_pipe_ends_quietly(), scanner, DetectProgress(enabled=not quiet) as bars:
        for index, (path, stem) in enumerate(zip(videos, stems)):
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
                    keep_row(entry, save(stem, render_outputs(entry)))
                elif as_list:
                    emit_json(entry)
                continue
            written = None
            if output is not None:
                outputs = render_outputs(result, plot=plot)
                written = save(stem, outputs)
                if written and index in alone:
                    written = {**written, "shared_name": f"not {alone[index]}.json"}
                keep_row(result, written)
            elif format == "json":
                emit_json(result)
            else:
                frames_csv(result, sys.stdout, video_column=csv_cell(path_text(path)), header=csv_header)
                csv_header = False
            if not quiet:
                stderr.print(summary_line(result, written, settings.lang, stderr.width if stderr.is_terminal else None),
                             soft_wrap=True)
        if as_list and emitted:
            sys.stdout.write("]\n")
            sys.stdout.flush()
    if rows and (output / MANIFEST_NAME).exists():  # a batch's folder: its page is the batch's, never this run's
        if not quiet:
            stderr.print(f"report: {terminal_markup(output / REPORT_HTML)} left as the batch there wrote it "
                         f"(`blurscan report {terminal_markup(output)}` rebuilds it)", highlight=False, soft_wrap=True)
    elif rows:
        with friendly_errors():
            write_report_html(output / REPORT_HTML, rows, scanner.describe(), settings.lang)
        if not quiet:
            stderr.print(f"report: {terminal_markup(output / REPORT_HTML)} (the videos of this run; open it in a browser)",
                         highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


@contextlib.contextmanager
def closed_pipe_ends_quietly():
    """``blurscan detect ... | head``: a reader that stops reading is not an error; stop scanning, exit 0."""
    try:
        yield
    except BrokenPipeError:
        # Python would complain again when it flushes standard output at exit: point it at nothing.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
