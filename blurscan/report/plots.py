"""Score plots: the score series with blurry segments shaded by severity."""

from __future__ import annotations

import io
import logging
import warnings

from blurscan.io.escape import visible
from blurscan.messages import Message
from blurscan.report.labels import size_text
from blurscan.result.model import VideoResult

logger = logging.getLogger("blurscan")

_SEVERITY_COLOURS = {"mild": "#f6c85f", "moderate": "#f28e2b", "severe": "#d62728"}
_SOFT_COLOUR = "#7f8fa6"


def plot_png(result: VideoResult) -> bytes:
    """A PNG of the video's scores over time (matplotlib's Agg canvas; no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    times = result.times_s
    ax.plot(times, result.scores, lw=1.0, color="#1f77b4")
    for shot in result.soft_shots:  # as report.html draws them: a grey band, the events over it
        ax.axvspan(shot.start_s, shot.end_s, color=_SOFT_COLOUR, alpha=0.3, lw=0)
        first = shot is result.soft_shots[0]
        if shot.detail is not None:  # the measures its verdict rests on, not the edge score above them
            ax.hlines(shot.detail, shot.start_s, shot.end_s, colors="#33415c", linestyles="dashed", lw=1.5,
                      label="detail it holds (share of its resolution)" if first else None)
        level = shot.reason_values.get("quality") if shot.reason_values.get("native") else None
        if isinstance(level, (int, float)):
            ax.hlines(float(level), shot.start_s, shot.end_s, colors="#6b2d5c", linestyles="dotted", lw=1.5,
                      label="its quality at the video's own resolution" if first else None)
    for seg in result.events:
        ax.axvspan(seg.start_s, seg.end_s, color=_SEVERITY_COLOURS.get(seg.severity, "#d62728"), alpha=0.35, lw=0)
    end = max(float(result.video.duration_s or 0), float(times[-1]) if len(times) else 0, 1e-3)
    ax.set_xlim(0, end)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("quality score")
    # The title holds the file name: literal text, never mathtext ("$") or TeX.
    ax.set_title(plot_title(result), fontsize=10, parse_math=False, usetex=False)
    ax.grid(alpha=0.3)
    if result.soft_shots:
        ax.legend(loc="best", fontsize=8, framealpha=0.8, title="grey: soft throughout", title_fontsize=8)
    with warnings.catch_warnings():
        # a character the font lacks is drawn as a box; that is no reason to fail
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_title(result: VideoResult) -> str:
    """The plot's title: the video, how it was scanned, the verdict and the counts every output shows; for
    shots soft throughout, the detail they hold (a second line: their edge score may look sharp)."""
    counts, verdict = result.counts(), result.verdict
    events, soft = counts["event_count"], counts["soft_shot_count"]
    title = (f"{visible(result.video.name)} ({result.settings.get('scorer')} / {result.settings.get('detector')}): "
             f"{Message(f'verdict.{verdict.code}')}, severity {verdict.severity}; "
             f"{events} blur {'event' if events == 1 else 'events'}, {soft} soft {'shot' if soft == 1 else 'shots'}")
    if result.soft_shots:
        video = result.video
        held = [size_text(s.effective_width, s.effective_height, video.width or None, video.height or None, s.detail)
                for s in result.soft_shots[:3]]
        shown = "; ".join(f"shot {s.index + 1} {h}" if len(result.soft_shots) > 1 else h
                          for s, h in zip(result.soft_shots, held) if h)
        title += "\nsoft throughout" + (f": holds {shown}" if shown else "") + ("; …" if len(result.soft_shots) > 3 else "")
    return title


def plot_or_warning(result: VideoResult) -> bytes | None:
    """The plot, or None with a warning added to the result: a plot is never worth a video's findings."""
    try:
        return plot_png(result)
    except Exception as ex:  # noqa: BLE001 - any plotting failure costs only the plot
        message = Message("warning.no_plot", {"error": f"{type(ex).__name__}: {ex}"})
        result.warnings.append(message)
        # escaped here too: a worker process has no CLI handler to do it
        logger.warning("%s: %s", visible(result.video.name), visible(message))
        return None
