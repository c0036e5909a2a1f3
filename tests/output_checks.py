"""Checks that a batch's outputs cannot be turned against their reader, whatever the video names.

Each function raises AssertionError with what it found. They make no assumption
about which videos were scanned, so any test (or a corpus of hostile inputs) can
run them on its output folder and on the CLI's captured terminal text.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from blurscan.io.escape import FORMULA_START, visible

#: what report.html may contain; anything else was injected
HTML_TAGS = frozenset(
    "html head meta title style body h1 h2 div span b small br code ul li input select option button "
    "table thead tbody tr th td a img script".split()
)
HTML_ATTRIBUTES = frozenset(
    "lang charset name content id class placeholder aria-label aria-sort aria-live data-v data-k type value "
    "href src alt loading".split()
)
LINK_ATTRIBUTES = ("href", "src")
#: an image the page embeds itself: a JPEG as base64, nothing else
_DATA_JPEG = re.compile(r"data:image/jpeg;base64,[A-Za-z0-9+/]+={0,2}")

#: what statistics.md may render to (CommonMark with GitHub tables); anything else came from a name
MARKDOWN_TAGS = frozenset("h1 h2 p code table thead tbody tr th td ul li".split())

# characters a terminal, a page or a Markdown row must never get raw (line feed aside)
_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
#: summary.csv columns that hold text (names, paths, messages)
TEXT_COLUMNS = ("name", "relative_path", "path", "status", "severity", "result_file", "error")


def _no_raw_control(text: str, where: str) -> None:
    found = sorted({repr(c) for c in _RAW_CONTROL.findall(text)})
    assert not found, f"{where}: raw control characters {found}"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], list[str]]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag == "script":
            self.scripts.append((dict(attrs), []))

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data):
        if not self._open or self._open[-1] not in ("script", "style"):
            self.texts.append(data)
        elif self._open[-1] == "script":
            self.scripts[-1][1].append(data)


def _parse_html(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def check_link(out_dir: Path, link: str) -> Path:
    """A link from a page in ``out_dir``: relative, no scheme, host, query or fragment, to a file in ``out_dir``."""
    assert not re.search(r"[\x00-\x20\x7f\\]", link), f"link with whitespace, control or backslash: {link!r}"
    parts = urlsplit(link)
    assert not (parts.scheme or parts.netloc or parts.query or parts.fragment), f"link is not a plain relative path: {link!r}"
    assert not parts.path.startswith("/") and ":" not in parts.path.split("/")[0], f"link could be read as absolute: {link!r}"
    target = (out_dir / unquote(parts.path, errors="surrogateescape")).resolve()
    assert target.is_relative_to(out_dir.resolve()), f"link leaves the output folder: {link!r}"
    assert target.is_file(), f"link to a missing file: {link!r} ({target})"
    return target


def walk_strings(value, key=None):
    """(key, string) for every string in the page's data, with the key it is stored under."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v, key)
    elif isinstance(value, str):
        yield key, value


def check_report_html(out_dir: str | Path, names: Iterable[str] = ()) -> dict[str, list]:
    """report.html has only the page's own elements and attributes, and every link resolves inside ``out_dir``.

    The videos travel as JSON in one ``<script type="application/json" id="data">``
    beside at most one script of code: the JSON must parse, every ``href``/``src``
    in it must be such a link (or an embedded JPEG), and no string in it may
    hold raw control characters (the page shows them as text). ``names`` (video
    names) must each appear literally in the text or the data. Returns the
    elements, the link targets, the text and the data, for further checks.
    """
    out_dir = Path(out_dir)
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    page = _parse_html(text)
    targets = []
    for tag, attrs in page.elements:
        assert tag in HTML_TAGS, f"unexpected <{tag} {attrs}> in report.html"
        for attr, value in attrs.items():
            assert attr in HTML_ATTRIBUTES and not attr.startswith("on"), f"unexpected attribute {attr}={value!r} on <{tag}>"
            if attr in LINK_ATTRIBUTES:
                targets.append(check_link(out_dir, value or ""))
    code = [s for s in page.scripts if "type" not in s[0]]
    data_scripts = [s for s in page.scripts if "type" in s[0]]
    assert len(code) <= 1, "more than one <script> of code in report.html"
    assert all(a == {"type": "application/json", "id": "data"} for a, _ in data_scripts) and len(data_scripts) <= 1, \
        f"unexpected data scripts {[a for a, _ in data_scripts]}"
    data = None
    strings: list[str] = []
    if data_scripts:
        raw = "".join(data_scripts[0][1])
        assert "</" not in raw and "<!--" not in raw, "the data script holds '</' or '<!--'"
        data = json.loads(raw)
        for key, value in walk_strings(data):
            if key in LINK_ATTRIBUTES and not _DATA_JPEG.fullmatch(value):
                targets.append(check_link(out_dir, value))
            else:
                strings.append(value)
        _no_raw_control("\n".join(strings), "report.html data")
    shown = "\n".join(page.texts)
    _no_raw_control(shown, "report.html text")
    for name in names:
        assert visible(name) in shown or any(visible(name) in s for s in strings), \
            f"{name!r} is not shown literally in report.html"
    return {"elements": page.elements, "targets": targets, "texts": page.texts, "data": data}


def check_csv_rows(rows: Iterable[dict[str, str]], where: str = "CSV", text_columns: Iterable[str] = ()) -> None:
    """No cell a spreadsheet would run as a formula: text must not start with ``= + - @`` tab or CR.

    Outside ``text_columns`` a number (``-0.5``) is allowed; in them nothing is.
    """
    text_columns = set(text_columns)
    for row in rows:
        for column, cell in row.items():
            if cell is None or (column not in text_columns and _NUMBER.fullmatch(cell)):
                continue
            assert not cell.startswith(FORMULA_START), f"{where}: formula-like cell {column}={cell!r}"


def check_summary_csv(path: str | Path, n_videos: int | None = None, names: Iterable[str] | None = None) -> list[dict]:
    """summary.csv: one row per video, no formula cells; ``names`` come back exactly (less the ``'`` guard)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if n_videos is not None:
        assert len(rows) == n_videos, f"{path}: {len(rows)} rows for {n_videos} videos"
    check_csv_rows(rows, str(path), TEXT_COLUMNS)
    if names is not None:
        unguarded = [_unguard(r["name"]) for r in rows]
        assert sorted(unguarded) == sorted(names), f"{path}: names {unguarded} != {sorted(names)}"
    return rows


def _unguard(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


class _RenderedMarkdown(HTMLParser):
    """Rows of each table and items of each list, as text, with the heading they follow."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.sections: dict[str, dict[str, list]] = {}
        self._heading = ""
        self._in: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)
        section = self.sections.setdefault(self._heading, {"rows": [], "items": []})
        if tag == "tr":
            section["rows"].append([])
        elif tag in ("td", "th", "li"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag):]
        section = self.sections.setdefault(self._heading, {"rows": [], "items": []})
        if tag in ("td", "th") and self._cell is not None:
            section["rows"][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "li" and self._cell is not None:
            section["items"].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._in and self._in[-1] in ("h1", "h2"):
            self._heading = data.strip()
        if self._cell is not None:
            self._cell.append(data)


def check_statistics_md(path: str | Path, n_videos: int, names: Iterable[str] | None = None) -> dict[str, dict]:
    """statistics.md: no raw HTML or control characters, tables keep their columns, one row or item per video.

    Rendered as CommonMark with GitHub tables, it holds only the report's own
    elements; the "Most blurry" table has one row per blurry video (at most 10)
    and the error list one item per failed video, as its own counts say. With
    ``names``, each of those rows starts with one of the names, shown literally.
    """
    from markdown_it import MarkdownIt  # a dependency of rich

    text = Path(path).read_text(encoding="utf-8")
    assert "<" not in text, f"{path}: raw '<'"
    _no_raw_control(text, str(path))
    lines = text.split("\n")
    header_pipes = None
    for line in lines:
        if not line.startswith("|"):
            header_pipes = None
            continue
        pipes = len(re.findall(r"\|", re.sub(r"\\.", "", line)))
        header_pipes = header_pipes or pipes
        assert pipes == header_pipes, f"{path}: a table row with {pipes} cell separators instead of {header_pipes}: {line!r}"

    rendered = _RenderedMarkdown()
    rendered.feed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text))
    for tag, attrs in rendered.tags:
        assert tag in MARKDOWN_TAGS, f"{path}: renders an unexpected <{tag} {attrs}>"
        assert set(attrs) <= {"style"}, f"{path}: renders attributes {attrs} on <{tag}>"
    counts = {row[0]: row[1] for row in rendered.sections["blurscan batch statistics"]["rows"] if len(row) == 2}
    assert int(counts["videos"]) == n_videos, f"{path}: counts {counts['videos']} videos, expected {n_videos}"
    blurry, errors = int(counts["blur detected"]), int(counts["errors"])
    listed = rendered.sections.get("Most blurry", {"rows": [[]]})["rows"][1:]
    items = rendered.sections.get("Errors", {"items": []})["items"]
    assert len(listed) == min(blurry, 10), f"{path}: {len(listed)} rows under 'Most blurry' for {blurry} blurry videos"
    assert len(items) == errors, f"{path}: {len(items)} items under 'Errors' for {errors} errors"
    assert all(len(row) == 5 for row in listed), f"{path}: a 'Most blurry' row without 5 cells: {listed}"
    if names is not None:
        shown = [visible(n) for n in names]
        # a row shows the video's path under the batch's root: its name, after any folders
        for row in listed:
            assert any(row[0] == n or row[0].endswith("/" + n) for n in shown), f"{path}: row names {row[0]!r}, not one of the videos"
        for item in items:
            assert any(item.startswith(n + ": ") or re.match(r"[^\n]*/" + re.escape(n) + ": ", item) for n in shown), \
                f"{path}: error item {item!r} does not start with a name"
    return rendered.sections


def check_terminal_text(text: str) -> None:
    """Terminal output: no escape sequences, CR, bidi or other control characters (line feeds aside), no traceback."""
    _no_raw_control(text, "terminal output")
    assert "Traceback" not in text, text
