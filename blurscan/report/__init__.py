"""Report writers: per-video JSON and CSV, plots, and the summaries of a batch."""

from blurscan.report.files import atomic_write, render_outputs, write_json, write_outputs, write_video_outputs

__all__ = ["atomic_write", "render_outputs", "write_json", "write_outputs", "write_video_outputs"]
