"""Hostile names: every name, path and message is escaped for the place it is written to.

Unit tests per output context (terminal, HTML, script JSON, CSV, Markdown, plot
titles), then batch and detect end to end on tiny clips with hostile names,
checked with the reusable helpers of tests/output_checks.py.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from markdown_it import MarkdownIt
from rich.text import Text
from typer.testing import CliRunner

from blurscan._cli import app, setup_logging
from blurscan.io.escape import (
    FORMULA_START,
    csv_cell,
    html_href,
    html_text,
    markdown_text,
    script_json,
    terminal_markup,
    terminal_text,
    visible,
)
from blurscan.report.outputs import render_outputs
from blurscan.scanner import Scanner
from blurscan.testing.synthetic import Blur, make_clip
from tests.output_checks import (
    check_csv_rows,
    check_report_html,
    check_statistics_md,
    check_summary_csv,
    check_terminal_text,
)

#: characters that must never reach a terminal raw, with their visible form
CONTROL_CHARACTERS = {
    "\x00": "\\x00", "\x07": "\\x07", "\x08": "\\x08", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b",
    "\x7f": "\\x7f", "\x85": "\\x85", "\x9b": "\\x9b", "\u2028": "\\u2028", "\u2029": "\\u2029",
    "\u202a": "\\u202a", "\u202e": "\\u202e", "\u2066": "\\u2066", "\u2069": "\\u2069", "\u200f": "\\u200f",
    "\udcff": "\\udcff",
}

#: names a hostile folder may hold (no "/", which no file name can)
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>.mp4",
    "javascript:alert(document.domain).mp4",
    '=HYPERLINK("http:x","y").mp4',
    "+1.mp4",
    "-2.mp4",
    "@SUM(1).mp4",
    "`a|b` *x* [l](http:e).mp4",
    "\x1b[31mred\x1b[0m.mp4",
    "a\rb.mp4",
    "new\nline.mp4",
    "cost_$5_$10.mp4",
    "sep\u2028par\u2029nel\x85.mp4",
    "\u202eevil\u2066.mp4",
    "h#a?b%c 100%25.mp4",
    "tab\tbell\x07del\x7f.mp4",
    "# 1. é 📹 名前 &amp;.mp4",
]
#: files that are not videos: their error messages quote their names
HOSTILE_BROKEN = ["bad <img src=x onerror=alert(2)> `|` *e*\x1b[2J.mp4", "=cmd|'C calc'!A0.mp4", "-junk\nline\r.mp4"]
#: a sub-folder whose name closes a script element in the paths under it
SCRIPT_FOLDER = '"><script>alert(1)<'

#: strings for the unit tests: the names above plus markup for each context
HOSTILE_STRINGS = HOSTILE_NAMES + HOSTILE_BROKEN + [
    '"><script>alert(1)</script>', "</script><!--", "[bold]x[/bold] [/] \\", "trailing \\", "1) one", "> quote",
    "![i](x)", "~~s~~", "$x$", "&lt; &#60; &amp;", "_a_ __b__", "<!-- c -->", "a\\|b", "\\`", "x\x9b2Jy",
]

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# -- one function per output context ---------------------------------------------


@pytest.mark.parametrize("char, shown", CONTROL_CHARACTERS.items(), ids=[repr(c) for c in CONTROL_CHARACTERS])
def test_control_characters_become_visible_escapes(char, shown):
    assert visible(f"a{char}b") == f"a{shown}b"
    assert terminal_text(f"a{char}b") == f"a{shown}b"


def test_printable_text_is_left_alone():
    text = "ma vidéo (1) 📹 名前 👩‍💻 \\ [x] $5 #1 %20 +-=@ ‹›"
    assert visible(text) == terminal_text(text) == text


def test_only_a_traceback_keeps_its_line_breaks():
    assert terminal_text("a\nb\r\x1b", keep_newlines=True) == "a\nb\\r\\x1b"


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_terminal_markup_shows_the_text_literally(text):
    assert Text.from_markup(f"[green]{terminal_markup(text)}[/green]: done").plain == visible(text) + ": done"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_data(self, data):
        self.data.append(data)


def _parse(markup):
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_html_text_is_one_text_node_and_one_attribute_value(text):
    page = _parse(f"<td>{html_text(text)}</td><img alt=\"{html_text(text)}\" src=x>")
    assert page.elements == [("td", []), ("img", [("alt", visible(text)), ("src", "x")])]
    assert page.data == [visible(text)]


@pytest.mark.parametrize("name", HOSTILE_NAMES + ["sub <b>#?%/x.json", "\udcff.json", "%2e%2e.json", "..json"])
def test_html_href_links_to_the_file_itself(name):
    href = html_href(name)
    page = _parse(f'<a href="{href}">x</a>')
    value = dict(page.elements[0][1])["href"]
    assert value.startswith("./")
    url = urlsplit(urljoin("https://example.org/out/report.html", value))
    assert (url.scheme, url.netloc, url.query, url.fragment) == ("https", "example.org", "", "")
    assert unquote(url.path, errors="surrogateescape") == "/out/" + name


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.json", "a/../b", "a//b", ".", "sub/"])
def test_html_href_refuses_paths_outside_the_folder(path):
    with pytest.raises(ValueError, match="not a relative path"):
        html_href(path)


def test_script_json_cannot_end_its_script():
    data = {"names": HOSTILE_STRINGS, "n": [1, -2.5, None, True]}
    page = _parse(f"<script>const data = {script_json(data)};</script><p>after</p>")
    assert [tag for tag, _ in page.elements] == ["script", "p"]
    code = page.data[0]
    assert "\u2028" not in code and "\u2029" not in code and "<" not in code
    assert json.loads(code[len("const data = "):-1]) == data


@pytest.mark.parametrize("start", FORMULA_START)
def test_csv_cells_that_would_be_formulas_get_a_quote(start):
    assert csv_cell(f"{start}SUM(1)") == f"'{start}SUM(1)"


@pytest.mark.parametrize("value", ["a.mp4", "", "'=x", " =x", "/tmp/-2.mp4", -2, -0.5, 0, True, None, 3.25])
def test_other_csv_values_are_untouched(value):
    assert csv_cell(value) is value


def _render_markdown(text):
    return _parse(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text))


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_markdown_text_is_one_literal_cell_and_one_literal_item(text):
    table = _render_markdown(f"| video | n |\n|---|---:|\n| {markdown_text(text)} | 1 |\n")
    assert [tag for tag, _ in table.elements] == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert [d for d in table.data if d.strip()] == ["video", "n", visible(text), "1"]
    item = _render_markdown(f"- {markdown_text(text)}: an error\n")
    assert [tag for tag, _ in item.elements] == ["ul", "li"]
    assert "".join(item.data).strip() == visible(text) + ": an error"


def test_markdown_text_has_no_raw_html_or_line_breaks():
    for text in HOSTILE_STRINGS:
        escaped = markdown_text(text)
        assert "<" not in escaped and ">" not in escaped and not set(escaped) & set(CONTROL_CHARACTERS)


# -- terminal: log records, progress bars ----------------------------------------------


@pytest.fixture
def cli_logging():
    """The CLI's log handler, installed for one test (the blurscan logger is restored afterwards)."""
    logger = logging.getLogger("blurscan")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    setup_logging(verbose=False, quiet=False)
    yield logger
    logger.handlers[:] = handlers
    logger.propagate = propagate
    logger.setLevel(level)


def test_log_messages_reach_the_terminal_without_control_characters(cli_logging, capsys):
    cli_logging.warning("could not read %s", "\x1b[31mred\u202e.mp4\r")
    try:
        raise ValueError("bad \x1b]0;title\x07 name")
    except ValueError:
        cli_logging.warning("with a traceback", exc_info=True)
    err = capsys.readouterr().err
    check_terminal_text(err.replace("Traceback", "traceback"))
    assert "could not read \\x1b[31mred\\u202e.mp4\\r" in err
    assert "bad \\x1b]0;title\\x07 name" in err


def test_progress_lines_show_names_literally():
    from blurscan._cli.progress import progress_line

    name = "\x1b[31m[bold]red[/bold]\u202e.mp4\r"
    line = progress_line(name, 1, 10, 1.0, {}, 200)
    assert line.startswith(visible(name) + " ")  # drawn as plain Text: no markup, no control characters
    check_terminal_text(line)


# -- plot titles ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_clips(tmp_path_factory):
    """Two 16-frame 96x64 clips: one with a 3-frame Gaussian blur burst (frames 7-9), one clean."""
    folder = tmp_path_factory.mktemp("tiny")
    blurry = make_clip(folder / "blurry.mp4", frames=16, width=96, height=64, blurs=[Blur(7, 9, "gaussian", 3.0)], seed=1)
    clean = make_clip(folder / "clean.mp4", frames=16, width=96, height=64, seed=4)
    return blurry.path, clean.path


@pytest.fixture(scope="module")
def tiny_result(tiny_clips):
    with Scanner() as scanner:
        return scanner.scan(tiny_clips[0])


@pytest.mark.parametrize("name", ["cost_$5_$10.mp4", r"$\frac{1}{0}$ _{x}^y.mp4", "\x1b[31m\u202e\n.mp4", "é 📹 名前.mp4"])
def test_plot_titles_are_literal_text(tiny_result, name):
    result = dataclasses.replace(tiny_result, video=dataclasses.replace(tiny_result.video, name=name), warnings=[])
    rendered = render_outputs(result, plot=True)
    assert rendered.plot[:4] == b"\x89PNG"
    assert rendered.result.warnings == []


def test_a_failing_plot_costs_only_the_plot(tiny_clips, monkeypatch):
    import blurscan.report.plots as plots

    def broken(result):
        raise RuntimeError("no canvas")

    monkeypatch.setattr(plots, "plot_png", broken)
    with Scanner() as scanner:
        rendered = render_outputs(scanner.scan(tiny_clips[0]), plot=True)
    assert rendered.plot is None
    assert [str(w) for w in rendered.result.warnings] == ["no plot: RuntimeError: no canvas"]
    assert rendered.result.verdict.blur_detected and rendered.ok


def test_detect_plot_goes_on_after_a_failing_plot(tmp_path, tiny_clips, monkeypatch):
    import blurscan.report.plots as plots

    drawn = plots.plot_png

    def fails_for_b(result):
        if result.video.name == "b.mp4":
            raise RuntimeError("no canvas")
        return drawn(result)

    monkeypatch.setattr(plots, "plot_png", fails_for_b)
    paths = [tmp_path / f"{n}.mp4" for n in "abc"]
    for path in paths:
        shutil.copy(tiny_clips[0], path)
    out = tmp_path / "out"
    result = run("detect", *paths, "-o", out, "--plot", "-q")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "c.png"]
    assert json.loads((out / "b.json").read_text())["labels"]["warnings"] == ["no plot: RuntimeError: no canvas"]
    assert all((out / f"{n}.frames.csv").exists() for n in "abc")


# -- end to end: a folder of hostile names ---------------------------------------------


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory, tiny_clips):
    """Tiny clips under every hostile name (blurry and clean alternately), broken files under hostile
    names, and a sub-folder whose paths contain ``</script>``. Returns the folder and the names of all videos."""
    blurry, clean = tiny_clips
    folder = tmp_path_factory.mktemp("hostile") / "videos"
    (folder / SCRIPT_FOLDER / "script>").mkdir(parents=True)
    for i, name in enumerate(HOSTILE_NAMES):
        shutil.copy(blurry if i % 2 == 0 else clean, folder / name)
    for name in HOSTILE_BROKEN:
        (folder / name).write_bytes(b"not a video " * 50)
    shutil.copy(blurry, folder / SCRIPT_FOLDER / "script>.mp4")
    (folder / SCRIPT_FOLDER / "script>" / "junk.mp4").write_bytes(b"\x00" * 300)
    names = HOSTILE_NAMES + HOSTILE_BROKEN + ["script>.mp4", "junk.mp4"]
    return folder, names


def test_batch_outputs_are_safe_with_hostile_names(tmp_path, hostile_folder):
    folder, names = hostile_folder
    out = tmp_path / "out"
    result = run("batch", folder, "-o", out, "--plot")
    assert result.exit_code == 1, result.stderr  # the broken files failed, the rest finished

    combined = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sorted(v["video"]["name"] for v in combined["videos"]) == sorted(names)
    page = check_report_html(out, names)
    linked = {p.name for p in page["targets"]}
    ok = [v for v in combined["videos"] if "error" not in v]
    assert len(ok) == len(HOSTILE_NAMES) + 1
    assert {v["result_file"] for v in combined["videos"]} <= linked
    assert sum(name.endswith(".png") for name in linked) == len(ok)

    check_summary_csv(out / "summary.csv", len(names), names)
    sections = check_statistics_md(out / "statistics.md", len(names), names)
    assert len(sections["Errors"]["items"]) == len(HOSTILE_BROKEN) + 1

    check_terminal_text(result.stderr)
    assert "\\x1b[2J" in result.stderr and "-junk\\nline\\r.mp4" in result.stderr  # the error lines, escaped


def test_detect_outputs_and_terminal_with_hostile_names(tmp_path, hostile_folder):
    folder, _ = hostile_folder
    paths = [folder / n for n in HOSTILE_NAMES + HOSTILE_BROKEN]
    out = tmp_path / "out"
    result = run("detect", *paths, "-o", out, "--plot")
    assert result.exit_code == 1, result.stderr
    check_terminal_text(result.stderr)
    for name in HOSTILE_NAMES:
        assert visible(name) in result.stderr, visible(name)  # the summary lines, escaped
    assert len(list(out.glob("*.png"))) == len(HOSTILE_NAMES)
    results = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")]
    assert len(results) == len(paths) and not any(r.get("warnings") for r in results)


def test_detect_csv_video_column_is_neutralised(hostile_folder, monkeypatch):
    folder, _ = hostile_folder
    names = ['=HYPERLINK("http:x","y").mp4', "+1.mp4", "-2.mp4", "@SUM(1).mp4", "new\nline.mp4", "tab\tbell\x07del\x7f.mp4"]
    monkeypatch.chdir(folder)  # relative paths: the video column starts with the name
    result = run("detect", "--format", "csv", "-q", "--", *names)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    check_csv_rows(rows, "detect --format csv", ["video"])
    assert list(dict.fromkeys(r["video"] for r in rows)) == ["'" + n if n[0] in "=+-@" else n for n in names]


def test_detect_csv_keeps_a_name_with_cr_on_its_rows(hostile_folder):
    folder, _ = hostile_folder
    paths = [folder / "a\rb.mp4", folder / "+1.mp4"]
    result = run("detect", "--format", "csv", "-q", *paths)
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {r["video"] for r in rows} == {str(paths[0]), str(paths[1])}  # absolute: no formula character first


def test_missing_hostile_path_is_one_escaped_error_line(tmp_path):
    path = tmp_path / "\x1b]0;pwned\x07\x1b[2J\rmissing\u202e.mp4"
    result = run("detect", path)
    assert result.exit_code != 0
    check_terminal_text(result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and visible(path) in lines[0], lines


def test_real_terminal_bytes(tmp_path, hostile_folder):
    """As a user's terminal gets them: a subprocess's raw standard error, progress bars and summary lines included."""
    folder, _ = hostile_folder
    names = ["\x1b[31mred\x1b[0m.mp4", "a\rb.mp4", "\u202eevil\u2066.mp4", "cost_$5_$10.mp4", HOSTILE_BROKEN[0]]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    proc = subprocess.run(
        [sys.executable, "-m", "blurscan", "detect", *(str(folder / n) for n in names), "-o", str(tmp_path / "out"), "--plot"],
        capture_output=True, timeout=120, env=env,
    )
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.decode("utf-8", errors="surrogateescape")
    check_terminal_text(err)
    assert all(visible(n) in err for n in names[:4]), err


# -- the checks themselves catch what they look for ------------------------------------------


_PAGE = '<html><body><table><tr><td>{name}</td><td><a href="{href}">json</a></td></tr></table></body></html>'


@pytest.mark.parametrize(
    "name, href",
    [
        ("<img src=x onerror=alert(1)>", "./a.json"),
        ("a", './a.json" onclick="alert(1)'),
        ("</td><script>alert(1)</script>", "./a.json"),
        ("a", "javascript:alert(1)"),
        ("a", "java\tscript:alert(1)"),
        ("a", "//evil.example/a.json"),
        ("a", "./missing.json"),
        ("a", "../a.json"),
        ("a", "./a.json#x"),
        ("\x1b[31ma", "./a.json"),
    ],
)
def test_check_report_html_catches_injections(tmp_path, name, href):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "report.html").write_text(_PAGE.format(name="a", href="./a.json"))
    check_report_html(tmp_path, ["a"])
    (tmp_path / "report.html").write_text(_PAGE.format(name=name, href=href))
    with pytest.raises(AssertionError):
        check_report_html(tmp_path, [name])


_ROWS = [
    {"name": "a.mp4", "status": "ok", "blur_detected": True, "severity": "mild", "blur_ratio": 0.1, "segments": 1,
     "confidence": 0.5, "avg_quality": 0.8, "frames": 10, "seconds": 1.0},
    {"name": "b.mp4", "status": "error", "error": "b.mp4: cannot be read"},
]


@pytest.mark.parametrize("raw", ["<img src=x onerror=alert(1)>", "a|b", "new\nline", "`x`\r", "[l](http://e)"])
def test_check_statistics_md_catches_raw_names(tmp_path, raw):
    from blurscan.report.statistics import statistics_markdown

    text = statistics_markdown(_ROWS, {"scorer": "sharpness", "detector": "drop", "window_size": 3})
    (tmp_path / "statistics.md").write_text(text)
    check_statistics_md(tmp_path / "statistics.md", 2, ["a.mp4", "b.mp4"])
    (tmp_path / "statistics.md").write_text(text.replace("a.mp4", raw).replace("b.mp4", raw))
    with pytest.raises(AssertionError):
        check_statistics_md(tmp_path / "statistics.md", 2, [raw, raw])


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2.mp4", "@SUM(1)", "\tx", "\rx"])
def test_check_summary_csv_catches_formulas(tmp_path, cell):
    path = tmp_path / "summary.csv"
    path.write_text(f'name,path,confidence\n"{cell}",/v/a.mp4,-0.5\n', newline="")
    with pytest.raises(AssertionError, match="formula"):
        check_summary_csv(path, 1)


@pytest.mark.parametrize("text", ["\x1b[31mred", "a\rb", "\u202e", "x\x85", "Traceback (most recent call last):"])
def test_check_terminal_text_catches_control_characters(text):
    check_terminal_text("error: fine\nline two\n")
    with pytest.raises(AssertionError):
        check_terminal_text(f"error: {text}\n")
