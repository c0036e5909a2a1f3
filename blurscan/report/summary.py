"""Batch summaries: ``summary.csv``, ``results.json`` and ``statistics.md``.

They are built from the manifest's small per-video rows and, for the combined
JSON, by streaming the per-video files one at a time, so a batch of any size
costs no more memory than its largest single result.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.detect.base import SEVERITIES
from blurscan.io.escape import csv_cell, markdown_text
from blurscan.report.files import atomic_write
from blurscan.report.labels import DEFAULT_LANG, severity_label, size_text, text
from blurscan.report.shots import clearly_below, count, event_segments, share, soft_shot_count, video_effective_size

#: per-video fields copied into the manifest row and the summary CSV
SUMMARY_FIELDS = (
    "name",
    "relative_path",
    "path",
    "status",
    "blur_detected",
    "blurry_throughout",
    "severity",
    "confidence",
    "blur_ratio",
    "mss",
    "segments",
    "blur_frames",
    "frames",
    "fps",
    "duration_s",
    "avg_quality",
    "camera_movement",
    "seconds",
    "frames_per_s",
    "peak_rss_mb",
    "result_file",
    "error",
    # soft footage (issue 10): the video's effective resolution, its shots soft throughout, its blur events
    "effective_width",
    "effective_height",
    "detail",
    "soft_shots",
    "events",
)


def summary_row(result: dict[str, Any], result_file: str, relative_path: str | None = None) -> dict[str, Any]:
    """The one-line summary of a per-video result (or error entry).

    ``relative_path`` is the video's path under the batch's root (``sub/clip.mp4``):
    the name alone cannot tell two sub-folders' ``clip.mp4`` apart.
    """
    video = result.get("video", {})
    row: dict[str, Any] = {
        "name": video.get("name"),
        "path": video.get("path"),
        "result_file": result_file,
    }
    if relative_path is not None:
        row["relative_path"] = relative_path
    if "error" in result:
        row.update(status="error", error=result["error"])
        return row
    row.update(
        status="ok",
        blur_detected=result["blur_detected"],
        blurry_throughout=result.get("blurry_throughout"),
        severity=result["severity"],
        confidence=result["confidence"],
        blur_ratio=result["blur_ratio"],
        mss=result["mss"],
        segments=len(result["segments"]),
        blur_frames=len(result["blur_frames"]),
        frames=video.get("frames"),
        fps=video.get("fps"),
        duration_s=video.get("duration_s"),
        avg_quality=result["avg_quality"],
        camera_movement=result["camera_movement"],
        seconds=result["timing"].get("seconds"),
        frames_per_s=result["timing"].get("frames_per_s"),
        peak_rss_mb=result["memory"].get("peak_rss_mb"),
    )
    width, height, detail = video_effective_size(result)
    row.update(effective_width=width, effective_height=height, detail=detail,
               soft_shots=soft_shot_count(result), events=len(event_segments(result)))
    return row


def write_summary_csv(path: str | os.PathLike, rows: Sequence[dict[str, Any]]) -> None:
    """One row per video; text cells that a spreadsheet would run as a formula start with ``'``.

    Text is always quoted: the writer quotes only around its own line terminator,
    so a name holding a bare CR would otherwise split its row in two.
    """
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS, extrasaction="ignore", lineterminator="\n",
                                quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else csv_cell(row.get(k))) for k in SUMMARY_FIELDS})


def read_result(out_dir: str | os.PathLike, row: dict[str, Any]) -> dict[str, Any]:
    """A row's per-video result, read when needed (one at a time, so a batch's summaries
    cost no more memory than its largest result); an error entry if it cannot be read."""
    try:
        with open(Path(out_dir) / row["result_file"], encoding="utf-8") as f:
            entry = json.load(f)
        if not isinstance(entry, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, KeyError, TypeError) as ex:
        entry = {"video": {"path": row.get("path"), "name": row.get("name")},
                 "error": f"result file unreadable: {ex}", "error_type": "ReportError"}
    return entry


def write_combined_json(path: str | os.PathLike, out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]],
                        settings: dict[str, Any]) -> None:
    """Every per-video result in one file, without the per-frame ``scores`` (they stay in the per-video files)."""
    out_dir = Path(out_dir)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write('{"schema": "blurscan/1", "settings": ')
        json.dump(settings, handle)
        handle.write(', "videos": [\n')
        for i, row in enumerate(rows):
            entry = read_result(out_dir, row)
            entry.pop("scores", None)
            entry["result_file"] = row["result_file"]
            if row.get("relative_path") is not None:
                entry["relative_path"] = row["relative_path"]
            if i:
                handle.write(",\n")
            json.dump(entry, handle, ensure_ascii=False)
        handle.write("\n]}\n")


def severity_rank(row: dict[str, Any]) -> tuple[int, float]:
    """How blurry a video is, for "most blurry" lists: severity first, then blur ratio,
    so a severe video always ranks above a mild one with more blurry frames."""
    severity = row.get("severity")
    return (SEVERITIES.index(severity) if severity in SEVERITIES else -1, row.get("blur_ratio") or 0.0)


def _stats_line(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | – | – | – | – | – |"
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return (
        f"| {name} | {statistics.fmean(values):.4f} | {statistics.median(values):.4f} | "
        f"{min(values):.4f} | {max(values):.4f} | {std:.4f} |"
    )


def statistics_markdown(rows: Sequence[dict[str, Any]], settings: dict[str, Any], lang: str = DEFAULT_LANG) -> str:
    """The statistics page, in English or Chinese (``lang``); names and error messages are escaped,
    so each video stays one row or item."""
    ok = [r for r in rows if r.get("status") == "ok"]
    errors = [r for r in rows if r.get("status") == "error"]
    detected = [r for r in ok if r.get("blur_detected")]
    rate = len(detected) / len(ok) if ok else 0.0
    frames = sum(r.get("frames") or 0 for r in ok)
    measured = [r for r in ok if count(r.get("soft_shots")) is not None]  # rows of results that list their shots
    seconds = sum(r.get("seconds") or 0 for r in ok)

    def t(english: str) -> str:
        return text(english, lang)

    if lang == "zh":
        setup = (f"评分器 `{settings.get('scorer')}`，检测器 `{settings.get('detector')}`，"
                 f"窗口大小 {settings.get('window_size')}。")
    else:
        setup = (f"Scorer `{settings.get('scorer')}`, detector `{settings.get('detector')}`, "
                 f"window size {settings.get('window_size')}.")
    lines = [
        f"# {t('blurscan batch statistics')}",
        "",
        setup,
        "",
        f"| | {t('count')} |",
        "|---|---:|",
        f"| {t('videos')} | {len(rows)} |",
        f"| {t('scanned')} | {len(ok)} |",
        f"| {t('errors')} | {len(errors)} |",
        f"| {t('blur detected')} | {len(detected)} |",
        f"| {t('blurry throughout')} | {sum(bool(r.get('blurry_throughout')) for r in ok)} |",
        f"| {t('blur events')} | {sum(_events(r) for r in ok)} |",
        f"| {t('videos with soft shots')} | {sum(bool(r['soft_shots']) for r in measured) if measured else '–'} |",
        f"| {t('soft shots')} | {sum(r['soft_shots'] for r in measured) if measured else '–'} |",
        f"| {t('detection rate (of scanned)')} | {rate:.1%} |",
        f"| {t('frames scanned')} | {frames} |",
        f"| {t('scan time (sum over videos)')} | {seconds:.1f} s |",
        "",
        f"| {t('statistic')} | {t('mean')} | {t('median')} | {t('min')} | {t('max')} | {t('std')} |",
        "|---|---:|---:|---:|---:|---:|",
        _stats_line(t("confidence"), [r["confidence"] for r in ok if r.get("confidence") is not None]),
        _stats_line(t("blur ratio"), [r["blur_ratio"] for r in ok if r.get("blur_ratio") is not None]),
        _stats_line(t("average quality"), [r["avg_quality"] for r in ok if r.get("avg_quality") is not None]),
        _stats_line(t("detail (share of the frame's resolution)"), [d for d in map(_detail, ok) if d is not None]),
        "",
        f"| {t('severity')} | {t('videos')} |",
        "|---|---:|",
    ]
    severities = Counter(r.get("severity") for r in ok)
    lines += [f"| {severity_label(s, lang)} | {severities.get(s, 0)} |" for s in SEVERITIES]
    worst = sorted(detected, key=severity_rank, reverse=True)[:10]
    if worst:
        lines += ["", f"## {t('Most blurry')}", "",
                  f"| {t('video')} | {t('severity')} | {t('blur ratio')} | {t('segments')} |", "|---|---|---:|---:|"]
        lines += [
            f"| {markdown_text(_shown_path(r))} | {markdown_text(severity_label(r.get('severity'), lang))} | "
            f"{(r.get('blur_ratio') or 0):.4f} | {r.get('segments')} |"
            for r in worst
        ]
    soft = sorted((r for r in ok if r.get("soft_shots") or clearly_below(_detail(r))),
                  key=lambda r: (1.0 if _detail(r) is None else _detail(r), -(r.get("soft_shots") or 0)))[:10]
    if soft:
        lines += ["", f"## {t('Soft footage')}", "",
                  f"| {t('video')} | {t('soft shots')} | {t('effective resolution')} | {t('blur events')} |",
                  "|---|---:|---|---:|"]
        lines += [
            f"| {markdown_text(_shown_path(r))} | {_dash(r.get('soft_shots'))} | "
            f"{markdown_text(_size(r, lang))} | {_events(r)} |"
            for r in soft
        ]
    if errors:
        lines += ["", f"## {t('Errors')}", ""]
        lines += [f"- {markdown_text(_shown_path(r))}: {markdown_text(r.get('error'))}" for r in errors]
    return "\n".join(lines) + "\n"


def _events(row: dict[str, Any]) -> int:
    """A video's blur events: all its segments in a row made before segments had kinds."""
    events = count(row.get("events"))
    return events if events is not None else (count(row.get("segments")) or 0)


def _detail(row: dict[str, Any]) -> float | None:
    return share(row.get("detail"))


def _size(row: dict[str, Any], lang: str) -> str:
    width, height = count(row.get("effective_width")), count(row.get("effective_height"))
    return size_text(width, height, detail=_detail(row), lang=lang) or "–"


def _dash(value: Any) -> str:
    return "–" if value is None else str(value)


def _shown_path(row: dict[str, Any]) -> str:
    """The video as people look for it: its path under the batch's root, else its name."""
    return str(row.get("relative_path") or row.get("name"))


def write_statistics(path: str | os.PathLike, rows: Sequence[dict[str, Any]], settings: dict[str, Any],
                     lang: str = DEFAULT_LANG) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(statistics_markdown(rows, settings, lang))
