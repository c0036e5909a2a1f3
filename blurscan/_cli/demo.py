"""``blurscan demo``: make a clip with known blurry bursts, find them, write a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from blurscan._cli import app, fail, friendly_errors, setup_logging
from blurscan._cli.options import QuietOpt
from blurscan._cli.progress import DetectProgress, stderr
from blurscan.io.escape import terminal_markup
from blurscan.report.labels import cause_text, counted


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo clip and its report.")] = Path("blurscan_demo"),
    quiet: QuietOpt = False,
) -> None:
    """Make a 6 s clip with two known blurry bursts, scan it with the defaults, and check they are found."""
    from blurscan.batch.summaries import rebuild
    from blurscan.report.outputs import write_video_outputs
    from blurscan.scanner import Scanner
    from blurscan.testing.demo import DEMO_FRAMES, found_bursts, make_demo_clip

    setup_logging(False, quiet)
    def say(text: str) -> None:
        if not quiet:
            stderr.print(text, highlight=False, soft_wrap=True)

    with friendly_errors():
        output.mkdir(parents=True, exist_ok=True)
        clip_path = output / "demo.mp4"
        say(f"making {terminal_markup(clip_path)}: {DEMO_FRAMES} frames, 640x360 at 30 fps, a slow pan …")
        clip = make_demo_clip(clip_path)
        for blur in clip.blurs:
            what = f"Gaussian σ={blur.strength:g} px" if blur.kind == "gaussian" else f"motion {blur.strength:g} px at {blur.angle:g}°"
            say(f"  injected blur: frames {blur.start}–{blur.end} ({what})")
        with Scanner() as scanner, DetectProgress(enabled=not quiet) as bars:
            result = scanner.scan(clip_path, bars.video(), thumbnails=True)
        written = write_video_outputs(result, output, "demo", plot=True)
        rebuild(output)  # report.html (curve, segments, thumbnails), summary.csv, segments.csv ...
    say(
        f"scanned {result.frames} frames in {result.timing['seconds']:.2f} s "
        f"({result.timing['frames_per_s']:.0f} frames/s, peak RSS {result.memory['peak_rss_mb']:.0f} MiB) "
        f"with {result.settings['scorer']} / {result.settings['detector']}"
    )
    say(f"found {counted(len(result.segments), 'segment', 'segments')}:")
    for seg in result.segments:
        cause = f", {cause_text(seg.cause)}" if seg.cause is not None else ""
        say(f"  {seg.start_tc}–{seg.end_tc} (frames {seg.start_frame}–{seg.end_frame}), {seg.severity}, {seg.kind}{cause}")
    found = found_bursts(clip, result.segments)
    say(f"results: {terminal_markup(', '.join(written.values()))}")
    say(f"report: {terminal_markup(output / 'report.html')} (open it in a browser)")
    if not all(found):
        missed = [f"{b.start}–{b.end}" for b, ok in zip(clip.blurs, found) if not ok]
        fail(f"the demo's injected blur at frames {', '.join(missed)} was not found", 1)
    say(f"[bold green]OK[/bold green]: all {len(found)} injected bursts found")
