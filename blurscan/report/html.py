"""``report.html``: one self-contained page for 1 video or 10,000 — where the blur is, what it looks like.

The page's script and style are ``assets/report.js`` and ``assets/report.css``, shipped with the
package; each video's entry and the shared ``meta`` have named keys (:func:`video_entry`,
:func:`_meta`) that the script reads by name.

The videos travel as compact JSON in one ``<script type="application/json">``
(:func:`script_json`), and a small script renders only the page of rows in
view, so sorting and filtering 10,000 videos is a sort of an array, not of
DOM rows. Each video carries a min-preserving downsampled score curve (a blur
dip of a few frames stays visible), its segments with timecodes, and its
thumbnails: embedded as data URIs for a small batch, linked as files beside
the page for a big one. The per-video result files are read one at a time
and the page is streamed to disk, so writing it costs the memory of one
result. Every name, path and message goes through :mod:`blurscan.io.escape`;
the script puts data into the page with ``textContent`` only.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.detect.cause import CAUSES, Cause
from blurscan.io.atomic import atomic_write
from blurscan.io.escape import html_href, html_text, script_json, visible
from blurscan.report.labels import (
    DEFAULT_LANG,
    WORDS,
    cause_label,
    cause_text,
    severity_label,
    size_text,
    verdict_label,
    word,
)
from blurscan.report.outputs import FRAMES_SUFFIX, JSON_SUFFIX, PLOT_SUFFIX
from blurscan.report.results import row_result, shown_error, shown_path
from blurscan.result.model import SEVERITIES, Segment, Shot, VideoResult, parse_causes
from blurscan.timecode import clock

#: up to this many videos a page is "small": detailed curves, thumbnails embedded
SMALL_BATCH = 200
#: points of a curve: detailed (2 characters a point) for a small batch, compact (1) for a big one
CURVE_POINTS = (400, 100)
#: at most this many bytes of thumbnails are embedded in a page; the rest are linked files
EMBED_BYTES = 4 * 2**20
#: one thumbnail larger than this is always linked
EMBED_ONE_BYTES = 256 * 2**10
#: errors listed by name and message in the page itself (all are in the table, filter "errors")
ERRORS_LISTED = 200
#: the page's script and style, shipped beside this module
ASSETS = Path(__file__).resolve().parent / "assets"

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: the table's columns: the key of each video's entry it shows and sorts by, and its heading's word
COLUMNS = (("path", "video"), ("severity", "severity"), ("blur_ratio", "blur_ratio"), ("event_count", "blur_events"),
           ("soft_shot_count", "soft_shots"), ("cause", "cause"), ("confidence", "confidence"), ("frames", "frames"),
           ("effective", "effective_resolution"), ("duration_s", "duration_s"))


def pack_curve(scores: Sequence[float | None], points: int, chars: int) -> str:
    """The scores as ``points`` bucket minima (a dip stays visible however short), each ``chars``
    characters of a base-64 alphabet (64 or 4096 levels); ``.`` where a bucket has no score."""
    import numpy as np

    values = np.array([math.nan if s is None else s for s in scores], dtype=float)
    if not len(values):
        return ""
    values = np.clip(values, 0.0, 1.0)
    if len(values) > points:
        edges = np.linspace(0, len(values), points + 1).astype(int)[:-1]
        values = np.fmin.reduceat(values, edges)
    top = 64**chars - 1
    out = []
    for v in values.tolist():
        if math.isnan(v):
            out.append("." * chars)
            continue
        level = int(round(v * top))
        out.append(_ALPHABET[level] if chars == 1 else _ALPHABET[level >> 6] + _ALPHABET[level & 63])
    return "".join(out)


def _href(out_dir: Path, relative: Any) -> str | None:
    """The link to an output file, or None if it is missing or not a plain path inside the folder.

    The JSON holds it unescaped for HTML (the script sets it as a property); :func:`html_href`
    percent-encodes it and refuses anything that is not a relative path inside the folder.
    """
    if not isinstance(relative, str) or not relative:
        return None
    try:
        href = html_href(relative)
    except ValueError:
        return None
    return html.unescape(href) if (out_dir / relative).is_file() else None


class _Thumbnails:
    """Thumbnails as data URIs while the page's budget lasts, then as links to the files."""

    def __init__(self, out_dir: Path, embed: bool):
        self.out_dir = out_dir
        self.budget = EMBED_BYTES if embed else 0

    def src(self, relative: Any) -> str | None:
        href = _href(self.out_dir, relative)
        if href is None:
            return None
        try:
            size = (self.out_dir / relative).stat().st_size
            if size <= min(self.budget, EMBED_ONE_BYTES):
                data = (self.out_dir / relative).read_bytes()
                if data[:3] == b"\xff\xd8\xff":  # only a JPEG is embedded as one
                    self.budget -= len(data)
                    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        except OSError:
            return None
        return href


def _number(value: Any, digits: int) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value if isinstance(value, int) else round(value, digits)


def video_entry(row: dict[str, Any], result, out_dir: Path, small: bool, thumbnails: _Thumbnails,
                recs: dict[str, int], lang: str) -> dict[str, Any]:
    """One video in the page's data (named keys, read by assets/report.js; display text already made visible).

    The counts and the verdict come from the summary row, the details (curve, events, soft shots,
    advice) from the video's result, both views of one model.
    """
    stem = str(row.get("result_file", ""))[: -len(JSON_SUFFIX)]
    entry: dict[str, Any] = {
        "path": visible(shown_path(row)),
        "name": visible(row.get("name")),
        "files": [
            {"label": label, "href": href}
            for label, href in (
                ("json", _href(out_dir, row.get("result_file"))),
                ("csv", _href(out_dir, stem + FRAMES_SUFFIX)),
                (word("plot", lang), _href(out_dir, stem + PLOT_SUFFIX)),
            )
            if href
        ],
        "status": "ok",
    }
    if row.get("status") != "ok" or (result is not None and not result.ok):
        error = row.get("error") or getattr(result, "error", "")
        entry.update(status="error", error=visible(shown_error(row, lang, error)))
        return entry
    entry.update({
        "severity": row.get("severity") if row.get("severity") in SEVERITIES else "none",
        "verdict": visible(verdict_label(row.get("verdict") or "no_blur", lang)),
        "blur_ratio": _number(row.get("blur_ratio"), 4),
        "segment_count": row.get("segment_count"),
        "event_count": row.get("event_count"),
        "soft_shot_count": row.get("soft_shot_count"),
        "confidence": _number(row.get("confidence"), 3),
        "frames": row.get("frames"),
        "duration_s": _number(row.get("duration_s"), 2),
        "blurry_throughout": bool(row.get("blurry_throughout")),
    })
    if row.get("cause") in CAUSES:
        entry["cause"] = row["cause"]
        entry["causes"] = [c for c in parse_causes(row.get("causes")) if c in CAUSES] or [row["cause"]]
    width, height, detail = row.get("effective_width"), row.get("effective_height"), row.get("detail")
    if width and height:
        entry.update(effective_width=width, effective_height=height)
    if detail is not None:
        entry["detail"] = round(detail, 3)
    if result is None:  # a row without its result (a Parquet dataset's): the table row alone
        return entry
    video = result.video
    size = size_text(width, height, video.width or None, video.height or None, detail, lang)
    if size:
        entry["effective_text"] = visible(size)
    entry["recommendations"] = [recs.setdefault(visible(m.text(lang)), len(recs)) for m in result.verdict.recommendations]
    if len(result.scores):
        entry["curve"] = pack_curve(result.scores.tolist(), CURVE_POINTS[0] if small else CURVE_POINTS[1], 2 if small else 1)
        entry["curve_frames"] = len(result.scores)
    events = [_event(seg, thumbnails, lang) for seg in result.events]
    if events:
        entry["events"] = events
    soft = [_soft_shot(shot, result, thumbnails, lang) for shot in result.soft_shots]
    if soft:
        entry["soft_shots"] = soft
    extra = {visible(k): visible(v) for k, v in result.detector_extra.items() if isinstance(v, (str, int, float))}
    if extra:
        entry["other_fields"] = dict(list(extra.items())[:12])
    return entry


def _times(seg: Segment | Shot) -> dict[str, Any]:
    return {"start_frame": seg.start_frame, "end_frame": seg.end_frame, "start_tc": clock(seg.start_s),
            "end_tc": clock(seg.end_s), "duration_s": _number(seg.end_s - seg.start_s, 3)}


def _cause(cause: Cause | None, lang: str) -> dict[str, Any]:
    """A finding's cause in the page: its code, its words with its numbers, its angle for the arrow."""
    if cause is None:
        return {}
    out: dict[str, Any] = {"cause": cause.name, "cause_text": visible(cause_text(cause, lang))}
    if cause.angle_deg is not None:
        out["angle"] = _number(cause.angle_deg, 1)
    return out


def _event(seg: Segment, thumbnails: _Thumbnails, lang: str) -> dict[str, Any]:
    return {**_times(seg), "severity": seg.severity, "min_score": _number(seg.min_score, 4), **_cause(seg.cause, lang),
            "thumbnails": _segment_thumbnails(seg.thumbnails, thumbnails, lang)}


def _soft_shot(shot: Shot, result: VideoResult, thumbnails: _Thumbnails, lang: str) -> dict[str, Any]:
    """A shot soft throughout: its number, times, severity, the resolution it holds and why, in words."""
    size = size_text(shot.effective_width, shot.effective_height, result.video.width or None,
                     result.video.height or None, shot.detail, lang)
    level = shot.reason_values.get("quality") if shot.reason_values.get("native") else None
    return {"shot": shot.index + 1, **_times(shot), "severity": shot.severity or "mild", "detail": _number(shot.detail, 3),
            "level": _number(level, 3) if isinstance(level, (int, float)) else None,
            "size_text": visible(size or "–"), "reason": visible(shot.reason(lang) or ""), **_cause(shot.cause, lang),
            "thumbnails": _segment_thumbnails(shot.thumbnails, thumbnails, lang)}


def _segment_thumbnails(refs, thumbnails: _Thumbnails, lang: str) -> list[dict[str, Any]]:
    thumbs = []
    for role in ("worst", "sharp"):
        ref = refs.get(role)
        src = thumbnails.src(ref.file) if ref is not None else None
        if src:
            thumbs.append({"label": word(role, lang), "src": src, "time": clock(ref.time_s)})
    return thumbs


def _head(rows: Sequence[dict[str, Any]], settings: dict[str, Any], lang: str) -> str:
    ok = [r for r in rows if r.get("status") == "ok"]
    errors = [r for r in rows if r.get("status") != "ok"]
    blurry = sum(bool(r.get("blur_detected")) for r in ok)
    severities = Counter(r.get("severity") for r in ok)
    cards = [(word("videos", lang), len(rows)), (word("with_blur", lang), blurry),
             (word("without", lang), len(ok) - blurry), (word("errors", lang), len(errors))]
    cards += [(severity_label(s, lang), severities.get(s, 0)) for s in SEVERITIES[1:]]
    cards.append((word("with_soft_shots", lang), sum(bool(r.get("soft_shot_count")) for r in ok)))
    card_html = "".join(f'<div class="card"><b>{v:,}</b>{html_text(k)}</div>' for k, v in cards)
    setup = (
        f"{html_text(word('scorer', lang))} <code>{html_text(settings.get('scorer'))}</code>, "
        f"{html_text(word('detector', lang))} <code>{html_text(settings.get('detector'))}</code>, "
        f"{html_text(word('window', lang))} {html_text(settings.get('window_size'))}"
    )
    error_html = ""
    if errors:
        items = "".join(
            f'<li><code>{html_text(shown_path(r))}</code>: '
            f'<span class="error">{html_text(shown_error(r, lang))}</span></li>'
            for r in errors[:ERRORS_LISTED]
        )
        more = f"<li>… +{len(errors) - ERRORS_LISTED}</li>" if len(errors) > ERRORS_LISTED else ""
        error_html = f'<h2>{html_text(word("Errors", lang))} ({len(errors)})</h2><ul id="errors">{items}{more}</ul>'
    options = [("", word("all_severities", lang)), ("blur", word("any_blur", lang))]
    options += [(s, severity_label(s, lang)) for s in SEVERITIES]
    options.append(("soft", word("with_soft_shots", lang)))
    options.append(("error", word("errors", lang)))
    option_html = "".join(f'<option value="{v}">{html_text(label)}</option>' for v, label in options)
    causes = [("", word("all_causes", lang))] + [(c, cause_label(c, lang)) for c in CAUSES]
    cause_html = "".join(f'<option value="{v}">{html_text(label)}</option>' for v, label in causes)
    header_html = "".join(
        f'<th data-k="{k}" aria-sort="none" class="{"" if k in ("path", "cause") else "num"}">'
        f'{html_text(word(label, lang))}{"*" if k == "confidence" else ""}<span class="ind"></span></th>'
        for k, label in COLUMNS
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    title = html_text(word("report_title", lang))
    return f"""<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_asset("report.css")}</style></head>
<body><h1>{title}</h1><div class="muted">{setup} · {html_text(word("click_to_sort", lang))}</div>
<div class="cards">{card_html}</div>
<div class="controls"><input id="filter" type="search" placeholder="{html_text(word("filter_videos", lang))}" aria-label="{html_text(word("filter_videos", lang))}">
<select id="severity" aria-label="{html_text(word("severity", lang))}">{option_html}</select>
<select id="cause" aria-label="{html_text(word("cause", lang))}">{cause_html}</select>
<span id="count" class="muted" aria-live="polite"></span></div>
<table id="videos"><thead><tr>{header_html}<th>{html_text(word("files", lang))}</th></tr></thead><tbody></tbody></table>
<div class="pager"><button id="prev" type="button">{html_text(word("previous", lang))}</button>
<span id="pageinfo" class="muted"></span><button id="next" type="button">{html_text(word("next", lang))}</button></div>
<div class="muted" id="help-confidence">* {html_text(word("confidence_help", lang))}</div>
{error_html}
"""


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _meta(lang: str, small: bool, recs: dict[str, int]) -> dict[str, Any]:
    """What every video shares: the words (by id), the severity labels, the advice texts, the paging."""
    return {
        "lang": lang,
        "curve_chars": 2 if small else 1,
        "severity_codes": list(SEVERITIES),
        "severity_labels": {**{s: severity_label(s, lang) for s in SEVERITIES}, "error": word("error", lang)},
        "cause_labels": {c: cause_label(c, lang) for c in CAUSES},
        "words": {w: word(w, lang) for w in WORDS},
        "recommendations": list(recs),
        "page": 50 if small else 100,
    }


def write_report_html(path: str | os.PathLike, rows: Sequence[dict[str, Any]], settings: dict[str, Any],
                      lang: str = DEFAULT_LANG, *, with_results: bool = True) -> None:
    """Write the page, reading each video's result file once, one at a time (``with_results=False``:
    the rows alone, as a Parquet dataset holds them)."""
    out_dir = Path(path).parent
    small = len(rows) <= SMALL_BATCH
    thumbnails = _Thumbnails(out_dir, embed=small)
    recs: dict[str, int] = {}
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(_head(rows, settings, lang))
        handle.write('<script type="application/json" id="data">{"videos":[')
        for i, row in enumerate(rows):
            result = row_result(out_dir, row) if with_results and row.get("status") == "ok" else None
            if i:
                handle.write(",")
            handle.write(script_json(video_entry(row, result, out_dir, small, thumbnails, recs, lang)))
            del result
        handle.write('],"meta":' + script_json(_meta(lang, small, recs)) + "}</script>\n")
        handle.write(f"<script>{_asset('report.js')}</script></body></html>\n")
