"""report.html at 10,000 videos: how long the writer takes, how big the page is, and how fast it
opens, sorts and filters in headless Chromium.

Usage::

    python benchmarks/report_scale.py                 # 10,000 videos, about 2 min on 2 cores
    python benchmarks/report_scale.py --videos 2000 --screenshots docs

No scanning: synthetic result files (``blurscan/testing/results.py``: 250-2,500
frames each, 0-3 blurry segments with thumbnails, one video in 50 failed) are
written to a folder under ``.bench/``, then ``blurscan report`` rebuilds the
summaries and the page in a child process (its peak memory measured), and
Chromium opens the page: load is the page's own ``loadEventEnd`` (parse, JSON,
first page of rows rendered), sort and filter are from the click or keystroke
to the next painted frame (and, apart, the handler alone: sort or filter and the visible rows
rebuilt), the median of 5 runs each. With ``--screenshots``
it also saves a small batch's and the big batch's page, details opened.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from blurscan.testing.chromium import Chromium  # noqa: E402
from blurscan.testing.results import write_synthetic_batch  # noqa: E402

READY = "document.body && document.body.dataset.ready === '1'"
REPEATS = 5

NEXT_FRAME = "await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));"


def rebuild(out: Path, lang: str = "en") -> tuple[float, float]:
    """``blurscan report OUT`` in a child process: (seconds, peak RSS MiB)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "blurscan", "report", str(out), "--lang", lang, "-q"], check=True, env=env)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(page, action: str) -> tuple[float, float]:
    """Milliseconds from ``action`` to the end of its handler (sort or filter, rows rebuilt) and to the
    next painted frame (layout and paint included)."""
    return tuple(page.js(
        f"(async () => {{ const t = performance.now(); {action}; const h = performance.now() - t; {NEXT_FRAME}"
        f" return [h, performance.now() - t]; }})()"
    ))


def set_value(selector: str, value: str, event: str) -> str:
    return (f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.value = {json.dumps(value)};"
            f" e.dispatchEvent(new Event({json.dumps(event)})); }})()")


def measure(browser: Chromium, page_path: Path) -> dict[str, float]:
    loads = []
    for _ in range(REPEATS):
        page = browser.page()
        page.goto(page_path.as_uri(), READY)
        loads.append(page.js("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        fcp = page.js("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
    figures = {"load_ms": statistics.median(loads), "first_paint_ms": fcp}
    actions = {
        "sort_severity_ms": "document.querySelector('th[data-k=s]').click()",
        "sort_blur_ratio_ms": "document.querySelector('th[data-k=r]').click()",
        "sort_path_ms": "document.querySelector('th[data-k=p]').click()",
        "filter_severity_ms": set_value("#severity", "3", "change"),
        "filter_text_ms": set_value("#filter", "cam3/day05", "input"),
        "clear_filters_ms": set_value("#filter", "", "input") + ";" + set_value("#severity", "", "change"),
        "next_page_ms": "document.getElementById('next').click()",
        "open_details_ms": "document.querySelector('#videos tbody button.tog').click()",
    }
    for name, action in actions.items():
        runs = [timed(page, action) for _ in range(REPEATS)]
        figures[name] = statistics.median(r[1] for r in runs)
        figures[name.replace("_ms", "_handler_ms")] = statistics.median(r[0] for r in runs)
    figures["rows_in_dom"] = page.js("document.querySelectorAll('#videos tbody tr').length")
    return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in figures.items()}


def screenshot(browser: Chromium, page_path: Path, target: Path, open_row: int, width: int, height: int,
               sort: str | None = None) -> None:
    page = browser.page(width, height)
    page.goto(page_path.as_uri(), READY)
    if sort:
        page.js(f"document.querySelector('th[data-k={sort}]').click()")
    page.js(f"document.querySelectorAll('#videos tbody button.tog')[{open_row}].click()")
    page.js("new Promise(r => { const i = [...document.querySelectorAll('img')]; i.forEach(x => x.loading = 'eager');"
            " const c = () => i.every(x => x.complete) ? r() : setTimeout(c, 20); c(); })")
    raw = target.with_suffix(".raw.png")
    page.screenshot(raw)
    from PIL import Image

    with Image.open(raw) as image:  # a 64-colour palette keeps the README's PNGs small
        image.convert("RGB").quantize(64).save(target, optimize=True)
    raw.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "report_scale")
    parser.add_argument("--screenshots", type=Path, help="folder for report-small.png and report-big.png")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "report_scale.json")
    args = parser.parse_args()

    big = args.work / f"big-{args.videos}"
    if not (big / "report.html").exists() or len(list(big.glob("*.json"))) < args.videos:
        shutil.rmtree(big, ignore_errors=True)
        start = time.perf_counter()
        write_synthetic_batch(big, args.videos, frames=(250, 2500))
        print(f"wrote {args.videos} synthetic results in {time.perf_counter() - start:.1f} s", flush=True)
    seconds, rss = rebuild(big)
    results = {
        "videos": args.videos,
        "writer_s": round(seconds, 2),
        "writer_peak_rss_mib": round(rss, 1),
        "report_html_mib": round((big / "report.html").stat().st_size / 2**20, 2),
        "segments_csv_rows": sum(1 for _ in open(big / "segments.csv", encoding="utf-8")) - 1,
    }
    with Chromium() as browser:
        version = browser.call("Browser.getVersion")["product"]
        results["browser"] = version
        results.update(measure(browser, big / "report.html"))
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            small = args.work / "small"
            shutil.rmtree(small, ignore_errors=True)
            write_synthetic_batch(small, 8, frames=(300, 900), seed=3, errors_every=8)
            rebuild(small)
            screenshot(browser, small / "report.html", args.screenshots / "report-small.png", 0, 1100, 900, sort="s")
            screenshot(browser, big / "report.html", args.screenshots / "report-big.png", 0, 1100, 700, sort="s")
    print(json.dumps(results, indent=1))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
