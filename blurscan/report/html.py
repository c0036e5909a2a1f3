"""``report.html``: one self-contained page for 1 video or 10,000 — where the blur is, what it looks like.

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

from blurscan.detect.base import SEVERITIES
from blurscan.io.atomic import atomic_write
from blurscan.io.escape import html_href, html_text, script_json, visible
from blurscan.report.files import FRAMES_SUFFIX, JSON_SUFFIX, PLOT_SUFFIX
from blurscan.report.labels import DEFAULT_LANG, severity_label, size_text, text
from blurscan.report.shots import (
    count,
    effective_size,
    event_segments,
    frame_size,
    segment_kind,
    share,
    soft_shots,
)
from blurscan.report.summary import read_result
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
ERROR_CODE = len(SEVERITIES)  # the severity code of a failed video in the page's data

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_UI_WORDS = (
    "video", "severity", "blur ratio", "segments", "confidence", "frames", "duration (s)", "files", "segment",
    "start", "end", "duration", "worst score", "worst", "sharp", "verdict", "recommendations", "details", "hide",
    "no segments", "scores over time", "showing", "of", "previous", "next", "no videos match", "plot",
    "other fields", "error", "blurry throughout", "thumbnails", "soft throughout", "soft shots", "blur events", "shot",
    "effective resolution", "reason",
)
#: result fields the page shows in its own way; any other scalar field is listed under "other fields"
_KNOWN_FIELDS = frozenset(
    "schema video settings scores blur_frames segments blur_detected blur_ratio mss severity confidence avg_quality "
    "quality_std max_quality_drop threshold camera_movement camera_movement_vmbench recommendations timing memory "
    "warnings labels error error_type result_file relative_path blurry_throughout shots".split()
)


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


def video_entry(row: dict[str, Any], result: dict[str, Any], out_dir: Path, small: bool,
                thumbnails: _Thumbnails, recs: dict[str, int], lang: str) -> dict[str, Any]:
    """One video in the page's data: short keys (10,000 of them), display text already made visible."""
    stem = str(row.get("result_file", ""))[: -len(JSON_SUFFIX)]
    entry: dict[str, Any] = {
        "p": visible(row.get("relative_path") or row.get("name")),
        "n": visible(row.get("name")),
        "files": [
            {"l": label, "href": href}
            for label, href in (
                ("json", _href(out_dir, row.get("result_file"))),
                ("csv", _href(out_dir, stem + FRAMES_SUFFIX)),
                (text("plot", lang), _href(out_dir, stem + PLOT_SUFFIX)),
            )
            if href
        ],
    }
    if row.get("status") != "ok" or "error" in result:
        entry.update(s=ERROR_CODE, e=visible(row.get("error") or result.get("error")))
        return entry
    severity = row.get("severity")
    entry.update(
        s=SEVERITIES.index(severity) if severity in SEVERITIES else 0,
        r=_number(row.get("blur_ratio"), 4),
        g=row.get("segments"),
        c=_number(row.get("confidence"), 3),
        f=row.get("frames"),
        d=_number(row.get("duration_s"), 2),
    )
    events = count(row.get("events"))
    if events is not None:
        entry["g"] = events  # the segments column counts blur events; soft shots are counted apart
    width, height = count(row.get("effective_width")), count(row.get("effective_height"))
    detail = share(row.get("detail"))
    if width and height:
        entry.update(ew=width, eh=height)
    if detail is not None:
        entry["dt"] = round(detail, 3)
    if count(row.get("soft_shots")) is not None:
        entry["ss"] = row["soft_shots"]
    if row.get("blurry_throughout"):
        entry["bt"] = 1
    labels = result.get("labels") if isinstance(result.get("labels"), dict) else {}
    advice = [text(str(r), lang) for r in result.get("recommendations") or []] or labels.get("recommendations") or []
    entry["rc"] = [recs.setdefault(visible(a), len(recs)) for a in advice]
    scores = result.get("scores")
    if isinstance(scores, list):
        chars = 2 if small else 1
        entry["k"] = pack_curve(scores, CURVE_POINTS[0] if small else CURVE_POINTS[1], chars)
        entry["kn"] = len(scores)
    segments = []
    for seg in event_segments(result):
        sev = seg.get("severity")
        segments.append([
            seg.get("start_frame"), seg.get("end_frame"), visible(seg.get("start_tc") or ""),
            visible(seg.get("end_tc") or ""), _number(seg.get("duration_s"), 3),
            SEVERITIES.index(sev) if sev in SEVERITIES else 0, _number(seg.get("min_score"), 4),
            _segment_thumbnails(seg, thumbnails, lang),
        ])
    if segments:
        entry["sg"] = segments
    soft = _soft_shots(result, thumbnails, lang)
    if soft:
        entry["so"] = soft
    size = size_text(entry.get("ew"), entry.get("eh"), *frame_size(result), detail, lang)
    if size:
        entry["ef"] = visible(size)
    extra = {visible(k): visible(v) for k, v in result.items()
             if k not in _KNOWN_FIELDS and isinstance(v, (str, int, float))}
    if extra:
        entry["x"] = dict(list(extra.items())[:12])
    return entry


def _segment_thumbnails(seg: dict[str, Any], thumbnails: _Thumbnails, lang: str) -> list[dict[str, Any]]:
    thumbs = []
    for kind in ("worst", "sharp"):
        thumb = (seg.get("thumbnails") or {}).get(kind) if isinstance(seg.get("thumbnails"), dict) else None
        src = thumbnails.src(thumb.get("file")) if isinstance(thumb, dict) else None
        if src:
            time_s = _number(thumb.get("time_s"), 3)
            thumbs.append({"l": text(kind, lang), "src": src, "t": clock(time_s) if time_s is not None else ""})
    return thumbs


def _soft_shots(result: dict[str, Any], thumbnails: _Thumbnails, lang: str) -> list[list[Any]]:
    """The shots soft throughout: number, frames, timecodes, duration, severity, effective size in words,
    reason (shown as text), and the thumbnails of the segment that spans the shot."""
    spans = {seg.get("start_frame"): seg for seg in result.get("segments") or []
             if isinstance(seg, dict) and segment_kind(seg) == "soft"}
    frame_width, frame_height = frame_size(result)
    out = []
    for shot in soft_shots(result):
        index, sev = count(shot.get("index")), shot.get("severity")
        width, height, detail = effective_size(shot)
        segment = spans.get(shot.get("start_frame"))
        out.append([
            index + 1 if index is not None else None, count(shot.get("start_frame")), count(shot.get("end_frame")),
            visible(shot.get("start_tc") or ""), visible(shot.get("end_tc") or ""), _number(shot.get("duration_s"), 3),
            SEVERITIES.index(sev) if sev in SEVERITIES else 0,
            visible(size_text(width, height, frame_width, frame_height, detail, lang) or "–"),
            visible(text(str(shot["reason"]), lang)) if shot.get("reason") else "",
            _segment_thumbnails(segment, thumbnails, lang) if segment else [],
        ])
    return out


def _head(rows: Sequence[dict[str, Any]], settings: dict[str, Any], lang: str) -> str:
    ok = [r for r in rows if r.get("status") == "ok"]
    errors = [r for r in rows if r.get("status") != "ok"]
    blurry = sum(bool(r.get("blur_detected")) for r in ok)
    severities = Counter(r.get("severity") for r in ok)
    cards = [(text("videos", lang), len(rows)), (text("with blur", lang), blurry),
             (text("without", lang), len(ok) - blurry), (text("errors", lang), len(errors))]
    cards += [(severity_label(s, lang), severities.get(s, 0)) for s in SEVERITIES[1:]]
    measured = [r for r in ok if count(r.get("soft_shots")) is not None]
    if measured:
        cards.append((text("with soft shots", lang), sum(bool(r["soft_shots"]) for r in measured)))
    card_html = "".join(f'<div class="card"><b>{v:,}</b>{html_text(k)}</div>' for k, v in cards)
    setup = (
        f"{html_text(text('scorer', lang))} <code>{html_text(settings.get('scorer'))}</code>, "
        f"{html_text(text('detector', lang))} <code>{html_text(settings.get('detector'))}</code>, "
        f"{html_text(text('window', lang))} {html_text(settings.get('window_size'))}"
    )
    error_html = ""
    if errors:
        items = "".join(
            f'<li><code>{html_text(r.get("relative_path") or r.get("name"))}</code>: '
            f'<span class="error">{html_text(r.get("error"))}</span></li>'
            for r in errors[:ERRORS_LISTED]
        )
        more = f"<li>… +{len(errors) - ERRORS_LISTED}</li>" if len(errors) > ERRORS_LISTED else ""
        error_html = f'<h2>{html_text(text("Errors", lang))} ({len(errors)})</h2><ul id="errors">{items}{more}</ul>'
    options = [("", text("all severities", lang)), ("blur", text("any blur", lang))]
    options += [(str(i), severity_label(s, lang)) for i, s in enumerate(SEVERITIES)]
    options.append(("soft", text("with soft shots", lang)))
    options.append((str(ERROR_CODE), text("errors", lang)))
    option_html = "".join(f'<option value="{v}">{html_text(label)}</option>' for v, label in options)
    headers = [("p", "video"), ("s", "severity"), ("r", "blur ratio"), ("g", "segments"), ("c", "confidence"),
               ("f", "frames"), ("e", "effective resolution"), ("d", "duration (s)")]
    header_html = "".join(
        f'<th data-k="{k}" aria-sort="none" class="{"num" if k in "rgcfed" else ""}">'
        f'{html_text(text(label, lang))}<span class="ind"></span></th>'
        for k, label in headers
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    title = html_text(text("blurscan report", lang))
    return f"""<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>{title}</h1><div class="muted">{setup} · {html_text(text("click a column to sort", lang))}</div>
<div class="cards">{card_html}</div>
<div class="controls"><input id="filter" type="search" placeholder="{html_text(text("filter videos…", lang))}" aria-label="{html_text(text("filter videos…", lang))}">
<select id="severity" aria-label="{html_text(text("severity", lang))}">{option_html}</select>
<span id="count" class="muted" aria-live="polite"></span></div>
<table id="videos"><thead><tr>{header_html}<th>{html_text(text("files", lang))}</th></tr></thead><tbody></tbody></table>
<div class="pager"><button id="prev" type="button">{html_text(text("previous", lang))}</button>
<span id="pageinfo" class="muted"></span><button id="next" type="button">{html_text(text("next", lang))}</button></div>
{error_html}
"""


def write_report_html(path: str | os.PathLike, rows: Sequence[dict[str, Any]], settings: dict[str, Any],
                      lang: str = DEFAULT_LANG) -> None:
    """Write the page, reading each video's result file once, one at a time."""
    out_dir = Path(path).parent
    small = len(rows) <= SMALL_BATCH
    thumbnails = _Thumbnails(out_dir, embed=small)
    recs: dict[str, int] = {}
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(_head(rows, settings, lang))
        handle.write('<script type="application/json" id="data">{"videos":[')
        for i, row in enumerate(rows):
            result = read_result(out_dir, row) if row.get("status") == "ok" and row.get("result_file") else {}
            if i:
                handle.write(",")
            handle.write(script_json(video_entry(row, result, out_dir, small, thumbnails, recs, lang)))
            del result
        meta = {
            "lang": lang,
            "points": 2 if small else 1,
            "sev": [severity_label(s, lang) for s in SEVERITIES] + [text("error", lang)],
            "t": {w: text(w, lang) for w in _UI_WORDS},
            "recs": list(recs),
            "page": 50 if small else 100,
        }
        handle.write('],"meta":' + script_json(meta) + "}</script>\n")
        handle.write(f"<script>{_SCRIPT}</script></body></html>\n")


_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 6px} .muted{color:#666}
.cards{display:flex;gap:12px;margin:16px 0;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:110px}
.card b{display:block;font-size:20px}
.controls{display:flex;gap:10px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
input,select{padding:6px 8px;font:inherit} input{width:300px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:5px 8px;text-align:left;vertical-align:top}
thead th{cursor:pointer;background:#f0f0f0;user-select:none;white-space:nowrap;position:sticky;top:0}
thead th:hover{background:#e4e4e4} .ind{display:inline-block;width:1em;color:#06c;margin-left:2px}
th[aria-sort=none] .ind::after{content:'\\2195';color:#bbb}
.num{text-align:right;font-variant-numeric:tabular-nums}
.sev0{color:#2a7d2a}.sev1{color:#a07800}.sev2{color:#c25e00}.sev3{color:#c00;font-weight:600}.sev4,.error{color:#c00}
.path{word-break:break-all} .tog{border:0;background:none;cursor:pointer;font-size:13px;padding:0 4px;color:#06c}
svg.spark{display:block;width:220px;height:28px;margin-top:2px} svg.curve{display:block;width:100%;max-width:1000px;height:140px}
tr.detail>td{background:#f7f9fc;padding:10px 16px} table.segs{width:auto;margin:8px 0} table.segs td,table.segs th{padding:3px 8px}
.thumb{display:inline-block;margin:0 6px 0 0;text-align:center;font-size:12px} .thumb img{display:block;width:160px;border:1px solid #ccc}
.pager{margin:10px 0;display:flex;gap:10px;align-items:center} button{font:inherit}
.soft{color:#4a5a72} td.eff .soft{font-size:12px} table.segs.soft td{background:#eef1f6} table.segs td:last-child{white-space:nowrap}
"""

# Fixed code: data reaches the page only through textContent, setAttribute of fixed names, and
# href/src values the writer made with html_href (or data:image/jpeg URIs it encoded itself).
_SCRIPT = r"""
(()=>{'use strict';
const D=JSON.parse(document.getElementById('data').textContent),V=D.videos,M=D.meta,T=M.t;
const A='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',SC=['#f6c85f','#f6c85f','#f28e2b','#d62728'],SOFT='#7f8fa6';
const NS='http://www.w3.org/2000/svg',tbody=document.querySelector('#videos tbody'),ths=[...document.querySelectorAll('#videos th[data-k]')];
const q=V.map(v=>(v.p+' '+(v.e||'')).toLowerCase());
let view=V.map((_,i)=>i),key=null,asc=true,page=0;const open=new Set();
function el(tag,cls,txt){const e=document.createElement(tag);if(cls)e.className=cls;if(txt!=null)e.textContent=String(txt);return e;}
function fmt(x,d){return x==null?'–':(typeof x==='number'&&d!=null?x.toFixed(d):String(x));}
function curve(v){const s=v.k||'',n=M.points,out=[];for(let i=0;i+n<=s.length;i+=n){const c=s.substr(i,n);
  if(c[0]==='.'){out.push(null);continue;}out.push(n===1?A.indexOf(c)/63:(A.indexOf(c[0])*64+A.indexOf(c[1]))/4095);}return out;}
function svg(v,cls,w,h){const pts=curve(v),s=document.createElementNS(NS,'svg');s.setAttribute('class',cls);
  s.setAttribute('viewBox','0 0 '+w+' '+h);s.setAttribute('preserveAspectRatio','none');
  const kn=v.kn||v.f||1;const band=(a,b,fill,op)=>{const r=document.createElementNS(NS,'rect');
    const x0=a/kn*w,x1=(b+1)/kn*w;r.setAttribute('x',x0);r.setAttribute('width',Math.max(1,x1-x0));
    r.setAttribute('y',0);r.setAttribute('height',h);r.setAttribute('fill',fill);r.setAttribute('opacity',op);s.appendChild(r);};
  for(const o of (v.so||[]))if(o[1]!=null&&o[2]!=null)band(o[1],o[2],SOFT,'0.3');
  for(const g of (v.sg||[]))band(g[0],g[1],SC[g[5]]||SC[3],'0.45');
  if(pts.length){let d='',pen=false;const dx=w/Math.max(1,pts.length-1);
    pts.forEach((p,i)=>{if(p==null){pen=false;return;}d+=(pen?'L':'M')+(pts.length===1?0:i*dx).toFixed(1)+' '+((1-p)*(h-2)+1).toFixed(1);pen=true;});
    const p=document.createElementNS(NS,'path');p.setAttribute('d',d);p.setAttribute('fill','none');p.setAttribute('stroke','#1f77b4');
    p.setAttribute('stroke-width',cls==='spark'?'1':'1.5');p.setAttribute('vector-effect','non-scaling-stroke');s.appendChild(p);}
  return s;}
function links(v){const td=el('td');(v.files||[]).forEach((f,i)=>{if(i)td.append(' · ');const a=el('a',null,f.l);a.href=f.href;td.appendChild(a);});return td;}
function thumbsCell(list){const c=el('td');(list||[]).forEach(th=>{const f=el('figure','thumb');f.style.margin='0 6px 0 0';
    const im=el('img');im.alt=th.l;im.src=th.src;im.loading='lazy';f.appendChild(im);
    f.appendChild(el('figcaption',null,th.l+(th.t!==''?' @ '+th.t:'')));c.appendChild(f);});return c;}
function size(v){return v.ew&&v.eh?v.ew+'x'+v.eh+(v.dt!=null?' ('+Math.round(v.dt*100)+' %)':''):(v.dt!=null?Math.round(v.dt*100)+' %':'–');}
function detail(v){const tr=el('tr','detail'),td=el('td');td.colSpan=9;tr.appendChild(td);
  if(v.e!=null){td.appendChild(el('div','error',v.e));return tr;}
  td.appendChild(el('div','muted',T['scores over time']));td.appendChild(svg(v,'curve',1000,140));
  const verdict=el('div',null,T['verdict']+': '+M.sev[v.s]+(v.bt?' · '+T['blurry throughout']:'')+(v.ef?' · '+T['effective resolution']+': '+v.ef:''));td.appendChild(verdict);
  if(v.so&&v.so.length){td.appendChild(el('div','soft',T['soft throughout']+' ('+T['soft shots']+': '+v.so.length+')'));
    const t=el('table','segs soft'),h=el('tr');
    ['shot','start','end','duration','frames','severity','effective resolution','reason','thumbnails'].forEach(w=>h.appendChild(el('th',null,T[w])));t.appendChild(h);
    v.so.forEach(o=>{const r=el('tr');r.appendChild(el('td','num',fmt(o[0])));r.appendChild(el('td',null,o[3]));r.appendChild(el('td',null,o[4]));
      r.appendChild(el('td','num',fmt(o[5],3)+' s'));r.appendChild(el('td','num',fmt(o[1])+'–'+fmt(o[2])));r.appendChild(el('td','sev'+o[6],M.sev[o[6]]));
      r.appendChild(el('td',null,o[7]));r.appendChild(el('td',null,o[8]));r.appendChild(thumbsCell(o[9]));t.appendChild(r);});td.appendChild(t);}
  if(v.sg&&v.sg.length){if(v.so&&v.so.length)td.appendChild(el('div',null,T['blur events']));const t=el('table','segs events'),h=el('tr');
    ['segment','start','end','duration','frames','severity','worst score','thumbnails'].forEach(w=>h.appendChild(el('th',null,T[w])));t.appendChild(h);
    v.sg.forEach((g,i)=>{const r=el('tr');r.appendChild(el('td','num',i+1));r.appendChild(el('td',null,g[2]));r.appendChild(el('td',null,g[3]));
      r.appendChild(el('td','num',fmt(g[4],3)+' s'));r.appendChild(el('td','num',g[0]+'–'+g[1]));r.appendChild(el('td','sev'+g[5],M.sev[g[5]]));
      r.appendChild(el('td','num',fmt(g[6],4)));r.appendChild(thumbsCell(g[7]));t.appendChild(r);});td.appendChild(t);}
  else td.appendChild(el('div','muted',T['no segments']));
  if(v.rc&&v.rc.length){td.appendChild(el('div',null,T['recommendations']+':'));const ul=el('ul');v.rc.forEach(i=>ul.appendChild(el('li',null,M.recs[i])));td.appendChild(ul);}
  if(v.x){td.appendChild(el('div','muted',T['other fields']+': '+Object.entries(v.x).map(e=>e[0]+' = '+e[1]).join(' · ')));}
  return tr;}
function row(i){const v=V[i],tr=el('tr');tr.dataset.i=i;const c=el('td'),b=el('button','tog',open.has(i)?'▾':'▸');b.type='button';
  b.setAttribute('aria-expanded',open.has(i)?'true':'false');b.title=T['details'];
  b.addEventListener('click',()=>{open.has(i)?open.delete(i):open.add(i);render();});
  c.appendChild(b);c.appendChild(el('span','path',v.p));if(v.e!=null)c.appendChild(el('div','error',v.e));else if(v.k)c.appendChild(svg(v,'spark',220,28));tr.appendChild(c);
  tr.appendChild(el('td','sev'+v.s,M.sev[v.s]+(v.bt?' ('+T['blurry throughout']+')':'')));
  tr.appendChild(el('td','num',fmt(v.r,4)));tr.appendChild(el('td','num',fmt(v.g)));tr.appendChild(el('td','num',fmt(v.c,3)));
  tr.appendChild(el('td','num',fmt(v.f)));const e=el('td','num eff',size(v));
  if(v.ss)e.appendChild(el('div','soft',T['soft shots']+': '+v.ss));tr.appendChild(e);
  tr.appendChild(el('td','num',fmt(v.d,2)));tr.appendChild(links(v));return tr;}
function render(){const n=view.length,pages=Math.max(1,Math.ceil(n/M.page));page=Math.min(page,pages-1);
  const f=document.createDocumentFragment(),a=page*M.page,b=Math.min(n,a+M.page);
  for(let j=a;j<b;j++){const i=view[j];f.appendChild(row(i));if(open.has(i))f.appendChild(detail(V[i]));}
  if(!n){const tr=el('tr'),td=el('td','muted',T['no videos match']);td.colSpan=9;tr.appendChild(td);f.appendChild(tr);}
  tbody.replaceChildren(f);
  document.getElementById('count').textContent=T['showing']+' '+(n?a+1:0)+'–'+b+' '+T['of']+' '+n;
  document.getElementById('pageinfo').textContent=(page+1)+' / '+pages;
  document.getElementById('prev').disabled=page===0;document.getElementById('next').disabled=page>=pages-1;}
const KC={};
function keyOf(k){if(KC[k])return KC[k];const a=new Float64Array(V.length);
  if(k==='p'){V.map((_,i)=>i).sort((x,y)=>V[x].p<V[y].p?-1:V[x].p>V[y].p?1:x-y).forEach((i,r)=>{a[i]=r;});}
  else if(k==='e'){for(let i=0;i<V.length;i++){const v=V[i];a[i]=v.ew&&v.eh?v.ew*v.eh:-Infinity;}}
  else for(let i=0;i<V.length;i++){const v=V[i],x=v[k];a[i]=k==='s'?(x===4?-1:x*2+(v.r||0)):(x==null?-Infinity:x);}
  return KC[k]=a;}
function apply(){const text=document.getElementById('filter').value.trim().toLowerCase(),sev=document.getElementById('severity').value;
  let idx=[];for(let i=0;i<V.length;i++){const s=V[i].s;
    if(sev==='soft'?!V[i].ss:sev==='blur'?!(s>=1&&s<=3):(sev!==''&&String(s)!==sev))continue;if(text&&!q[i].includes(text))continue;idx.push(i);}
  if(key){const K=keyOf(key),dir=asc?1:-1;idx.sort((x,y)=>dir*(K[x]-K[y])||x-y);}
  view=idx;page=0;render();}
ths.forEach(th=>th.addEventListener('click',()=>{const k=th.dataset.k;asc=key===k?!asc:k==='p';key=k;
  ths.forEach(o=>{o.setAttribute('aria-sort',o===th?(asc?'ascending':'descending'):'none');o.querySelector('.ind').textContent=o===th?(asc?'▲':'▼'):'';});
  apply();}));
document.getElementById('filter').addEventListener('input',apply);document.getElementById('severity').addEventListener('change',apply);
document.getElementById('prev').addEventListener('click',()=>{page--;render();});document.getElementById('next').addEventListener('click',()=>{page++;render();});
if(V.length===1)open.add(0);render();document.body.dataset.ready='1';})();
"""
