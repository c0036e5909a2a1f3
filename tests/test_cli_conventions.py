"""Command-line conventions: --version, `blurscan list`, choices and defaults in --help, settings
checked when made, summaries in Chinese with --lang zh (codes unchanged)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import blurscan
from blurscan._cli import app
from blurscan.errors import PluginNotFoundError, UsageError

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith(f"blurscan {blurscan.__version__} (")


def test_list_names_every_plugin_and_what_it_needs():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    rows = [line.split(None, 3) for line in result.stdout.strip().splitlines()]
    assert {(r[0], r[1]) for r in rows} >= {("scorer", "sharpness"), ("scorer", "qalign"), ("detector", "drop"), ("detector", "mss")}
    needs = {r[1]: r[-1].split()[0] if r[2] == "(default)" else r[2] for r in rows}
    assert needs["qalign"] == "GPU" and "(default)" in result.stdout


def test_help_shows_choices_and_defaults():
    text = runner.invoke(app, ["detect", "--help"], env={"COLUMNS": "200"}).stdout
    assert "drop (default), mss" in text and "qalign, sharpness (default)" in text
    assert "{VIDEO}..." in text and "--lang" in text and "--thumbnails" in text


def test_settings_are_checked_when_made():
    with pytest.raises(PluginNotFoundError, match="Did you mean 'sharpness'"):
        blurscan.Settings(scorer="sharpnes")
    with pytest.raises(PluginNotFoundError, match="unknown detector"):
        blurscan.Settings(detector="nope")
    with pytest.raises(UsageError, match="en, zh"):
        blurscan.Settings(lang="fr")


def test_chinese_summaries_keep_the_codes(burst_clip, clean_clip, tmp_path):
    result = runner.invoke(app, ["detect", burst_clip.path, clean_clip.path, "-o", str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    assert "严重模糊" in result.stderr or "中等模糊" in result.stderr or "轻微模糊" in result.stderr
    assert "未发现模糊" in result.stderr and "00:00:01.333" in result.stderr
    data = json.loads((tmp_path / "burst.json").read_text())
    assert data["severity"] in ("mild", "moderate", "severe")  # codes stay English
    assert data["labels"]["lang"] == "zh" and data["labels"]["severity"].endswith("模糊")
    assert all(any("\u4e00" <= c <= "\u9fff" for c in r) for r in data["labels"]["recommendations"])
    english = runner.invoke(app, ["detect", burst_clip.path, "-q"])
    assert json.loads(english.stdout)["labels"]["lang"] == "en"
