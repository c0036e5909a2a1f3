"""``report.html``: one self-contained page for a batch — counts, a sortable table, the plots.

It reads only the manifest's small per-video rows, links each video's JSON
and CSV, and shows each ``<video>.png`` when the batch ran with ``--plot``.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.detect.base import SEVERITIES
from blurscan.report.files import FRAMES_SUFFIX, JSON_SUFFIX, PLOT_SUFFIX, atomic_write

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} .muted{color:#666}
.cards{display:flex;gap:12px;margin:16px 0;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:110px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:6px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f0f0f0;user-select:none} th:hover{background:#e4e4e4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev-none{color:#2a7d2a}.sev-mild{color:#a07800}.sev-moderate{color:#c25e00}.sev-severe{color:#c00;font-weight:600}
.error{color:#c00} img{max-width:520px;display:block;margin-top:4px}
input{padding:6px 8px;width:280px;margin-bottom:10px}
"""

_SCRIPT = """
const table=document.getElementById('videos');
document.querySelectorAll('#videos th').forEach((th,col)=>th.addEventListener('click',()=>{
  const rows=[...table.tBodies[0].rows];const asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
  rows.sort((a,b)=>{const x=a.cells[col].dataset.v??a.cells[col].innerText,y=b.cells[col].dataset.v??b.cells[col].innerText;
    const nx=parseFloat(x),ny=parseFloat(y);const c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});
  rows.forEach(r=>table.tBodies[0].appendChild(r));}));
document.getElementById('filter').addEventListener('input',e=>{const q=e.target.value.toLowerCase();
  [...table.tBodies[0].rows].forEach(r=>r.style.display=r.innerText.toLowerCase().includes(q)?'':'none');});
"""


def _cell(value: Any, numeric: bool = False, digits: int = 4) -> str:
    if value is None or value == "":
        return '<td class="num" data-v="-1">–</td>' if numeric else "<td></td>"
    if numeric:
        text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
        return f'<td class="num" data-v="{html.escape(str(value))}">{html.escape(text)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def report_html(rows: Sequence[dict[str, Any]], settings: dict[str, Any], out_dir: str | os.PathLike) -> str:
    out_dir = Path(out_dir)
    ok = [r for r in rows if r.get("status") == "ok"]
    errors = len(rows) - len(ok)
    blurry = sum(bool(r.get("blur_detected")) for r in ok)
    severities = Counter(r.get("severity") for r in ok)
    cards = [("videos", len(rows)), ("with blur", blurry), ("without", len(ok) - blurry), ("errors", errors)]
    cards += [(f"{s}", severities.get(s, 0)) for s in SEVERITIES[1:]]
    body = []
    for r in rows:
        stem = str(r.get("result_file", ""))[: -len(JSON_SUFFIX)]
        links = f'<a href="{html.escape(stem + JSON_SUFFIX)}">json</a>' if stem else ""  # no files per video in a dataset
        if (out_dir / f"{stem}{FRAMES_SUFFIX}").exists():
            links += f' · <a href="{html.escape(stem + FRAMES_SUFFIX)}">csv</a>'
        name = html.escape(str(r.get("name")))
        plot = ""
        if (out_dir / f"{stem}{PLOT_SUFFIX}").exists():
            plot = f'<img loading="lazy" alt="scores of {name}" src="{html.escape(stem + PLOT_SUFFIX)}">'
        if r.get("status") == "error":
            body.append(
                f'<tr><td>{name}<div class="error">{html.escape(str(r.get("error")))}</div></td>'
                f'<td data-v="9">error</td>' + "<td></td>" * 5 + f"<td>{links}</td></tr>"
            )
            continue
        severity = str(r.get("severity"))
        throughout = "<br><small>blurry throughout</small>" if r.get("blurry_throughout") else ""
        body.append(
            f"<tr><td>{name}{plot}</td>"
            f'<td class="sev-{html.escape(severity)}" data-v="{SEVERITIES.index(severity) if severity in SEVERITIES else -1}">'
            f"{html.escape(severity)}{throughout}</td>"
            + _cell(r.get("blur_ratio"), True)
            + _cell(r.get("segments"), True)
            + _cell(r.get("confidence"), True, 3)
            + _cell(r.get("frames"), True)
            + _cell(r.get("duration_s"), True, 2)
            + f"<td>{links}</td></tr>"
        )
    card_html = "".join(f'<div class="card"><b>{v}</b>{html.escape(k)}</div>' for k, v in cards)
    title = (
        f"scorer <code>{html.escape(str(settings.get('scorer')))}</code>, detector "
        f"<code>{html.escape(str(settings.get('detector')))}</code>, window {html.escape(str(settings.get('window_size')))}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>blurscan report</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>blurscan report</h1><div class="muted">{title} · click a column to sort</div>
<div class="cards">{card_html}</div>
<input id="filter" placeholder="filter videos…" aria-label="filter videos">
<table id="videos"><thead><tr><th>video</th><th>severity</th><th>blur ratio</th><th>segments</th>
<th>confidence</th><th>frames</th><th>duration (s)</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<script>{_SCRIPT}</script></body></html>
"""


def write_report_html(path: str | os.PathLike, rows: Sequence[dict[str, Any]], settings: dict[str, Any]) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(report_html(rows, settings, Path(path).parent))
