"""``blurscan split VIDEO... -o DIR``: keep the sharp stretches of each video, as clips or as a cut list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from blurscan._cli import app, debug_mode, friendly_errors, print_error, setup_logging
from blurscan._cli.options import (
    DEFAULTS,
    DetectorOpt,
    DetectorOptionOpt,
    DeviceOpt,
    ModelOpt,
    QuietOpt,
    ScorerOpt,
    ScorerOptionOpt,
    SensitivityOpt,
    VerboseOpt,
    WorkingWidthOpt,
    build_settings,
)
from blurscan._cli.progress import DetectProgress, stderr
from blurscan.cut.export import EXPORT_SUFFIXES
from blurscan.errors import as_blurscan_error
from blurscan.io.escape import terminal_markup

CUTS = "Cutting"




@app.command()
def split(
    videos: Annotated[list[Path], typer.Argument(help="Video files to cut.", show_default=False, metavar="VIDEO")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the clips (or the cut lists).", show_default=False)],
    min_clip: Annotated[float, typer.Option("--min-clip", min=0.0, help="Keep only sharp stretches at least this many seconds long.", rich_help_panel=CUTS)] = 0.0,
    copy: Annotated[bool, typer.Option("--copy", help="Copy the compressed stream instead of re-encoding: fast and lossless, but each clip starts at the first keyframe of its stretch (the output says where).", rich_help_panel=CUTS)] = False,
    export: Annotated[Optional[Literal[tuple(EXPORT_SUFFIXES)]], typer.Option("--export", help="Write the cut list instead of the clips: ffmpeg (a shell script of ffmpeg commands) or edl (CMX 3600, for editors).", rich_help_panel=CUTS, show_default=False)] = None,
    result: Annotated[Optional[Path], typer.Option("--result", help="Cut by an existing result JSON (from detect or batch) instead of scanning; one VIDEO only.", rich_help_panel=CUTS, show_default=False)] = None,
    scorer: ScorerOpt = DEFAULTS["scorer"],
    detector: DetectorOpt = None,
    option: ScorerOptionOpt = None,
    detector_option: DetectorOptionOpt = None,
    sensitivity: SensitivityOpt = None,
    working_width: WorkingWidthOpt = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Cut the blurry segments out of each VIDEO: write its sharp stretches as clips.

    Writes OUTDIR/<video>.clip001.mp4 ... (re-encoded H.264/AAC with cuts exact
    to the frame; with --copy, <video>.clip001.mkv stream copies) and
    OUTDIR/<video>.cuts.json listing each stretch with its frames, times and
    timecodes. With --export, writes <video>.cuts.sh or <video>.edl instead.
    """
    from blurscan.cut.batch import cut_plan
    from blurscan.cut.export import edl, ffmpeg_script
    from blurscan.cut.ranges import keep_ranges
    from blurscan.cut.split import COPY_SUFFIX, REENCODE_SUFFIX, split_video
    from blurscan.errors import UsageError
    from blurscan.io.atomic import atomic_write, make_output_dir
    from blurscan.io.names import stable_stems
    from blurscan.report.outputs import json_text
    from blurscan.scanner import Scanner

    setup_logging(verbose, quiet)
    with friendly_errors():
        if result is not None and len(videos) != 1:
            raise UsageError("--result cuts one video: give exactly one VIDEO with it")
        settings = build_settings(scorer=scorer, detector=detector, options=option, detector_options=detector_option,
                                  sensitivity=sensitivity, working_width=working_width, device=device, model=model)
        make_output_dir(output)
        scanner = Scanner(settings) if result is None else None
    exit_code = 0
    stems = stable_stems(((p.stem,), str(p)) for p in videos)
    with friendly_errors(), DetectProgress(enabled=not quiet) as bars:
        try:
            for path, stem in zip(videos, stems):
                try:
                    found = _findings(path, result, scanner, bars)
                    video = found.video
                    ranges = keep_ranges(found.segments, video.frames, video.duration_s, min_clip_s=min_clip)
                    suffix = COPY_SUFFIX if copy else REENCODE_SUFFIX
                    targets = [str(output / f"{stem}.clip{r.index:03d}{suffix}") for r in ranges]
                    if export is not None:
                        target = output / f"{stem}{EXPORT_SUFFIXES[export]}"
                        offset, audio = _timing(path)
                        fps = video.fps or 30.0
                        text = (ffmpeg_script(str(path), ranges, fps, targets, start_offset_s=offset)
                                if export == "ffmpeg" else edl(stem, str(path), ranges, fps, audio=audio))
                        with atomic_write(target, "w", encoding="utf-8") as handle:
                            handle.write(text)
                        written = [str(target)]
                        clips = [r.to_dict() for r in ranges]
                    else:
                        made = split_video(path, ranges, output, stem, copy=copy, stream_index=video.stream)
                        clips = [c.to_dict() for c in made]
                        written = [c.path for c in made if c.frames]
                        for note in (n for c in made for n in c.notes):
                            stderr.print(f"  {terminal_markup(note)}", highlight=False)
                    cuts = cut_plan(found, export or ("copy" if copy else "re-encode"), min_clip, clips)
                    with atomic_write(output / f"{stem}.cuts.json", "w", encoding="utf-8") as handle:
                        handle.write(json_text(cuts))
                except Exception as ex:  # noqa: BLE001 - report it and go on with the next video
                    if debug_mode():
                        raise
                    error = as_blurscan_error(path, ex)
                    exit_code = max(exit_code, error.exit_code)
                    print_error(str(error))
                    continue
                if not quiet:
                    kept = sum(r.duration_s for r in ranges)
                    stderr.print(
                        f"{terminal_markup(video.name)}: kept {len(ranges)} sharp stretch(es), {kept:.2f} s of "
                        f"{video.duration_s:.2f} s; dropped {len(found.segments)} blurry segment(s) → "
                        f"{terminal_markup(', '.join(written) or 'nothing written')}",
                        highlight=False, soft_wrap=True,
                    )
        finally:
            if scanner is not None:
                scanner.close()
    raise typer.Exit(exit_code)


def _findings(path: Path, result: Path | None, scanner, bars):
    """The video's result: read from ``result`` (the one reader), or scanned now."""
    from blurscan.errors import UsageError
    from blurscan.result.reader import ResultFileError, read_result_file

    if result is None:
        return scanner.scan(path, bars.video())
    try:
        found = read_result_file(result)
    except (OSError, ResultFileError) as ex:
        reason = ex.strerror if isinstance(ex, OSError) and ex.strerror else ex
        raise UsageError(f"{result}: not a blurscan result ({reason}); run `blurscan detect -o` first") from None
    if not found.ok:
        raise UsageError(f"{result}: the result is an error entry ({found.error}); nothing to cut")
    return found


def _timing(path: Path) -> tuple[float, bool]:
    """(where the first picture lies after the file's start, whether there is audio), from the container alone."""
    from blurscan.cut.split import open_source

    with open_source(path) as container:
        stream = container.streams.video[0]
        first = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        start = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        return max(0.0, first - start), bool(container.streams.audio)
