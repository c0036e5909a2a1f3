"""Score plots: the score series with blurry segments shaded by severity."""

from __future__ import annotations

import io
import logging
import warnings

from blurscan.io.escape import visible
from blurscan.result import VideoResult

logger = logging.getLogger("blurscan")

_SEVERITY_COLOURS = {"mild": "#f6c85f", "moderate": "#f28e2b", "severe": "#d62728"}


def plot_png(result: VideoResult) -> bytes:
    """A PNG of the video's scores over time (matplotlib's Agg canvas; no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    times = result.times_s
    ax.plot(times, result.scores, lw=1.0, color="#1f77b4")
    for seg in result.detection.segments:
        ax.axvspan(seg.start_s, seg.end_s, color=_SEVERITY_COLOURS.get(seg.severity, "#d62728"), alpha=0.35, lw=0)
    end = max(float(result.video.get("duration_s") or 0), float(times[-1]) if len(times) else 0, 1e-3)
    ax.set_xlim(0, end)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("quality score")
    d = result.detection
    # The title holds the file name: literal text, never mathtext ("$") or TeX.
    ax.set_title(
        f"{visible(result.video['name'])} ({result.settings['scorer']} / {result.settings['detector']}): "
        f"{len(d.segments)} blurry segment(s), severity {d.severity}",
        fontsize=10, parse_math=False, usetex=False,
    )
    ax.grid(alpha=0.3)
    with warnings.catch_warnings():
        # a character the font lacks is drawn as a box; that is no reason to fail
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_or_warning(result: VideoResult) -> bytes | None:
    """The plot, or None with a warning added to the result: a plot is never worth a video's findings."""
    try:
        return plot_png(result)
    except Exception as ex:  # noqa: BLE001 - any plotting failure costs only the plot
        message = f"no plot: {type(ex).__name__}: {ex}"
        result.warnings.append(message)
        # escaped here too: a worker process has no CLI handler to do it
        logger.warning("%s: %s", visible(result.video.get("name")), visible(message))
        return None
