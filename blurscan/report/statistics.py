"""``statistics.md``: counts, distributions and the videos to look at first, in English or Chinese.

Built from the batch's small summary rows alone (never its per-video results),
so it costs a few hundred bytes a video whatever their length. Names and
error messages are escaped for Markdown, so each video stays one row or item.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from blurscan.detect.cause import CAUSES
from blurscan.io.atomic import atomic_write
from blurscan.io.escape import markdown_text
from blurscan.report.labels import DEFAULT_LANG, cause_label, severity_label, size_text, word
from blurscan.report.results import shown_error, shown_path
from blurscan.result.model import SEVERITIES, clearly_below, parse_causes


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
    seconds = sum(r.get("seconds") or 0 for r in ok)

    def t(word_id: str) -> str:
        return word(word_id, lang)

    if lang == "zh":
        setup = (f"评分器 `{settings.get('scorer')}`，检测器 `{settings.get('detector')}`，"
                 f"窗口大小 {settings.get('window_size')}。")
    else:
        setup = (f"Scorer `{settings.get('scorer')}`, detector `{settings.get('detector')}`, "
                 f"window size {settings.get('window_size')}.")
    lines = [
        f"# {t('statistics_title')}",
        "",
        setup,
        "",
        f"| | {t('count')} |",
        "|---|---:|",
        f"| {t('videos')} | {len(rows)} |",
        f"| {t('scanned')} | {len(ok)} |",
        f"| {t('errors')} | {len(errors)} |",
        f"| {t('blur_detected')} | {len(detected)} |",
        f"| {t('blurry_throughout')} | {sum(bool(r.get('blurry_throughout')) for r in ok)} |",
        f"| {t('segments')} | {sum(_count(r, 'segment_count') for r in ok)} |",
        f"| {t('blur_events')} | {sum(_count(r, 'event_count') for r in ok)} |",
        f"| {t('soft_shots')} | {sum(_count(r, 'soft_shot_count') for r in ok)} |",
        f"| {t('videos_with_soft_shots')} | {sum(bool(_count(r, 'soft_shot_count')) for r in ok)} |",
        f"| {t('detection_rate')} | {rate:.1%} |",
        f"| {t('frames_scanned')} | {frames} |",
        f"| {t('scan_time')} | {seconds:.1f} s |",
        "",
        f"| {t('statistic')} | {t('mean')} | {t('median')} | {t('min')} | {t('max')} | {t('std')} |",
        "|---|---:|---:|---:|---:|---:|",
        _stats_line(t("confidence"), [r["confidence"] for r in ok if r.get("confidence") is not None]),
        _stats_line(t("blur_ratio"), [r["blur_ratio"] for r in ok if r.get("blur_ratio") is not None]),
        _stats_line(t("average_quality"), [r["avg_quality"] for r in ok if r.get("avg_quality") is not None]),
        _stats_line(t("detail_share"), [r["detail"] for r in ok if r.get("detail") is not None]),
        "",
        f"| {t('severity')} | {t('videos')} |",
        "|---|---:|",
    ]
    severities = Counter(r.get("severity") for r in ok)
    lines += [f"| {severity_label(s, lang)} | {severities.get(s, 0)} |" for s in SEVERITIES]
    segments_by_cause: Counter = Counter()
    for r in ok:
        segments_by_cause.update(parse_causes(r.get("causes")))
    main = Counter(r.get("cause") for r in ok if r.get("cause"))
    if segments_by_cause:
        lines += ["", f"| {t('cause')} | {t('segments')} | {t('main_cause')} |", "|---|---:|---:|"]
        lines += [f"| {cause_label(c, lang)} | {segments_by_cause.get(c, 0)} | {main.get(c, 0)} |"
                  for c in CAUSES if segments_by_cause.get(c) or main.get(c)]
    worst = sorted(detected, key=severity_rank, reverse=True)[:10]
    if worst:
        lines += ["", f"## {t('most_blurry')}", "",
                  f"| {t('video')} | {t('severity')} | {t('blur_ratio')} | {t('blur_events')} | {t('soft_shots')} |",
                  "|---|---|---:|---:|---:|"]
        lines += [
            f"| {markdown_text(shown_path(r))} | {markdown_text(severity_label(r.get('severity'), lang))} | "
            f"{(r.get('blur_ratio') or 0):.4f} | {_count(r, 'event_count')} | {_count(r, 'soft_shot_count')} |"
            for r in worst
        ]
    soft = sorted((r for r in ok if r.get("soft_shot_count") or clearly_below(r.get("detail"))),
                  key=lambda r: (1.0 if r.get("detail") is None else r["detail"], -_count(r, "soft_shot_count")))[:10]
    if soft:
        lines += ["", f"## {t('least_detail')}", "",
                  f"| {t('video')} | {t('soft_shots')} | {t('effective_resolution')} | {t('blur_events')} |",
                  "|---|---:|---|---:|"]
        lines += [
            f"| {markdown_text(shown_path(r))} | {_count(r, 'soft_shot_count')} | "
            f"{markdown_text(_size(r, lang))} | {_count(r, 'event_count')} |"
            for r in soft
        ]
    if errors:
        lines += ["", f"## {t('Errors')}", ""]
        lines += [f"- {markdown_text(shown_path(r))}: {markdown_text(shown_error(r, lang))}"
                  for r in errors]
    return "\n".join(lines) + "\n"


def _count(row: dict[str, Any], key: str) -> int:
    return row.get(key) or 0


def _size(row: dict[str, Any], lang: str) -> str:
    return size_text(row.get("effective_width"), row.get("effective_height"), detail=row.get("detail"), lang=lang) or "–"


def write_statistics(path: str | os.PathLike, rows: Sequence[dict[str, Any]], settings: dict[str, Any],
                     lang: str = DEFAULT_LANG) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(statistics_markdown(rows, settings, lang))
