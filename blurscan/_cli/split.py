"""``blurscan split VIDEO... -o DIR``: keep the sharp stretches of each video, as clips or as a cut list."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
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


def min_clip_option(text: str, copy: bool = False, *, keep_whole: bool = False, name_template: str | None = None,
                    several: bool = False):
    """The :class:`~blurscan.cut.batch.SplitOptions` of ``--min-clip`` (seconds, ``48f`` frames or a timecode),
    ``--copy``, ``--keep-whole`` and ``--name-template``, or a one-line usage error."""
    from blurscan.cut.batch import SplitOptions
    from blurscan.cut.split import validate_name_template
    from blurscan.errors import UsageError
    from blurscan.timecode import parse_length

    try:
        length = parse_length(text)
    except ValueError as ex:
        raise UsageError(f"--min-clip: {ex}") from None
    if name_template is not None:
        validate_name_template(name_template, several=several)
    return SplitOptions(min_clip_s=length.seconds, copy=copy, min_clip_frames=length.frames or 0,
                        keep_whole=keep_whole, name_template=name_template)


@app.command()
def split(
    videos: Annotated[list[str], typer.Argument(help="Video files (or URLs, or tar members as tar://MEMBER::SHARD.tar) to cut.", show_default=False, metavar="VIDEO")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the clips (or the cut lists).", show_default=False)],
    min_clip: Annotated[str, typer.Option("--min-clip", metavar="LENGTH", help="Keep only sharp stretches at least this long: seconds (2.5), frames (48f) or a timecode (00:00:02.500).", rich_help_panel=CUTS)] = "0",
    copy: Annotated[bool, typer.Option("--copy", help="Copy the compressed stream instead of re-encoding: fast and lossless, but each clip starts at the first keyframe of its stretch (the output says where).", rich_help_panel=CUTS)] = False,
    keep_whole: Annotated[bool, typer.Option("--keep-whole", help="Also write a video with no blur, as one clip (by default it is not cut: the clip would be a copy of the video).", rich_help_panel=CUTS)] = False,
    name_template: Annotated[Optional[str], typer.Option("--name-template", metavar="TEMPLATE", help="Name the clips: {stem} is the video's name, {n} the clip's number (default '{stem}.clip{n:03d}'); the extension is added. A file name in the output folder: no path separator.", rich_help_panel=CUTS, show_default=False)] = None,
    export: Annotated[Optional[Literal[tuple(EXPORT_SUFFIXES)]], typer.Option("--export", help="Write the cut list instead of the clips: ffmpeg (a shell script of ffmpeg commands) or edl (CMX 3600, for editors).", rich_help_panel=CUTS, show_default=False)] = None,
    result: Annotated[Optional[Path], typer.Option("--result", help="Cut by an existing result JSON (from detect or batch) instead of scanning; one VIDEO only, the one the result is of.", rich_help_panel=CUTS, show_default=False)] = None,
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
    timecodes. A video with no blur is not cut (see --keep-whole). With
    --export, writes <video>.cuts.sh or <video>.edl instead.
    """
    from blurscan.cut.batch import cut_plan, cut_result
    from blurscan.cut.export import edl, ffmpeg_script
    from blurscan.cut.ranges import keep_ranges
    from blurscan.cut.split import clip_paths
    from blurscan.errors import UsageError
    from blurscan.io.atomic import atomic_write, make_output_dir, remove_stale_temp_files
    from blurscan.io.lock import OutputLock
    from blurscan.io.names import stable_stems
    from blurscan.report.outputs import json_text
    from blurscan.scanner import Scanner
    from blurscan.source.remote import as_video_path

    setup_logging(verbose, quiet)
    with friendly_errors():
        if result is not None and len(videos) != 1:
            raise UsageError("--result cuts one video: give exactly one VIDEO with it")
        options = min_clip_option(min_clip, copy, keep_whole=keep_whole, name_template=name_template,
                                  several=len(videos) > 1)
        settings = build_settings(scorer=scorer, detector=detector, options=option, detector_options=detector_option,
                                  sensitivity=sensitivity, working_width=working_width, device=device, model=model)
        make_output_dir(output)
        lock = OutputLock(output)
        lock.acquire()  # one writer at a time, so the temporary files a killed run left can be removed
    exit_code = 0
    videos = [as_video_path(v) for v in videos]  # a URL stays a URL (a Path would fold its '//')
    stems = stable_stems(((PurePosixPath(p.name).stem,), str(p)) for p in videos)
    scanner = None
    with friendly_errors(), DetectProgress(enabled=not quiet) as bars:
        try:
            remove_stale_temp_files(output)
            scanner = Scanner(settings) if result is None else None
            for path, stem in zip(videos, stems):
                try:
                    found = _findings(path, result, scanner, bars)
                    video = found.video
                    if export is not None:
                        ranges = keep_ranges(found.segments, video.frames, video.duration_s, min_clip_s=options.min_clip_s,
                                             min_clip_frames=options.min_clip_frames)
                        targets = clip_paths(ranges, output, stem, copy=copy, name_template=name_template)
                        target = output / f"{stem}{EXPORT_SUFFIXES[export]}"
                        offset, audio, stream = _timing(path, video.stream)
                        fps = video.fps or 30.0
                        text = (ffmpeg_script(str(path), ranges, fps, targets, start_offset_s=offset, stream=stream)
                                if export == "ffmpeg" else edl(stem, str(path), ranges, fps, audio=audio, stream=stream))
                        with atomic_write(target, "w", encoding="utf-8") as handle:
                            handle.write(text)
                        cuts = cut_plan(found, export, options.min_clip_s, [r.to_dict() for r in ranges],
                                        min_clip_frames=options.min_clip_frames)
                        with atomic_write(output / f"{stem}.cuts.json", "w", encoding="utf-8") as handle:
                            handle.write(json_text(cuts))
                        line = _kept_line(video, ranges, found.segments) + f" → {target}"
                    else:
                        cut = cut_result(str(path), found, output, stem, options)
                        for note, names in _notes(cut.clips):
                            stderr.print(f"  {terminal_markup(names)}: {terminal_markup(note)}", highlight=False, soft_wrap=True)
                        line = _cut_line(video, cut, found.segments, copy)
                except Exception as ex:  # noqa: BLE001 - report it and go on with the next video
                    if debug_mode():
                        raise
                    error = as_blurscan_error(path, ex)
                    exit_code = max(exit_code, error.exit_code)
                    print_error(str(error))
                    continue
                if not quiet:
                    stderr.print(f"{terminal_markup(video.name)}: {terminal_markup(line)}", highlight=False, soft_wrap=True)
        finally:
            if scanner is not None:
                scanner.close()
            lock.release()
    raise typer.Exit(exit_code)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _kept_line(video, ranges, segments) -> str:
    kept = sum(r.duration_s for r in ranges)
    return (f"kept {_count(len(ranges), 'sharp stretch', 'sharp stretches')}, {kept:.2f} s of {video.duration_s:.2f} s; "
            f"dropped {_count(len(segments), 'blurry segment', 'blurry segments')}")


def _cut_line(video, cut, segments, copy: bool) -> str:
    """What the cut wrote: with --copy, the seconds really written (each clip from its keyframe), not the stretches'."""
    if cut.whole:
        return (f"no blur found: not cut, its one clip would be a copy of the video (--keep-whole writes it) "
                f"→ {cut.cuts_file}")
    line = _kept_line(video, cut.ranges, segments)
    written = cut.written
    if copy:
        seconds = sum(c.written_s for c in written)
        line += (f"; wrote {_count(len(written), 'clip', 'clips')}, {seconds:.2f} s "
                 "(stream copy: each clip starts at a keyframe)")
    return line + f" → {', '.join(c.path for c in written) or 'nothing written'}"


def _notes(clips) -> list[tuple[str, str]]:
    """Each note once, with the clips it is about (a note about the video is on every clip)."""
    grouped: dict[str, list[str]] = {}
    for clip in clips:
        for note in clip.notes:
            grouped.setdefault(note, []).append(clip.name)
    return [(note, ", ".join(names)) for note, names in grouped.items()]


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
    from blurscan.cut.split import result_mismatch
    from blurscan.errors import CutError

    if found.video.scanned:
        part = found.video.scanned
        raise CutError(f"{path}: {result} covers only {part.get('start_tc')} to {part.get('end_tc')} of the video "
                       "(scanned with --start/--end/--duration); split cuts whole videos: scan the whole video")
    mismatch = result_mismatch(path, found.video)
    if mismatch:
        raise CutError(f"{path}: {result} is not this video's result ({mismatch}); scan this video "
                       "(`blurscan split` without --result) or give the result of this video")
    return found


def _timing(path: Path, stream_index: int | None) -> tuple[float, bool, int]:
    """(where the scanned stream's first picture lies after the file's start, whether there is audio, the
    scanned stream's index), from the container alone."""
    from blurscan.cut.split import open_source

    with open_source(path) as container:
        videos = list(container.streams.video)
        stream = next((s for s in videos if s.index == stream_index), None) or videos[0]
        first = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        start = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        return max(0.0, first - start), bool(container.streams.audio), stream.index
