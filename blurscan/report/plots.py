"""Score plots: the score series with blurry segments shaded by severity."""

from __future__ import annotations

import io

from blurscan.result import VideoResult

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
    ax.set_title(
        f"{result.video['name']} ({result.settings['scorer']} / {result.settings['detector']}): "
        f"{len(d.segments)} blurry segment(s), severity {d.severity}",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
