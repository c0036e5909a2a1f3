"""What --help and --version say: a type only where a value is given, names that match the usage line."""

from __future__ import annotations

import av
import pytest
from typer.testing import CliRunner

from blurscan._cli import app

runner = CliRunner()
COMMANDS = ["detect", "batch", "split", "report", "list", "demo"]


def help_text(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], catch_exceptions=False, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_no_flag_shows_a_type(command):
    text = help_text(*command)
    assert "<bool>" not in text and "list[Path]" not in text, text


def test_usage_lines_name_the_arguments_once():
    assert "{VIDEO}..." in help_text("split") and "VIDEO...}" not in help_text("split")
    batch = help_text("batch")
    assert "DIR_OR_LIST" in batch and "SOURCE" not in batch and "-o OUTDIR" in batch


def test_version_names_ffmpeg_and_libavcodec_right():
    out = runner.invoke(app, ["--version"]).output
    libavcodec = ".".join(map(str, av.library_versions["libavcodec"]))
    assert f"libavcodec {libavcodec}" in out and f"FFmpeg {libavcodec}" not in out
    if getattr(av, "ffmpeg_version_info", None):
        assert f"FFmpeg {av.ffmpeg_version_info}," in out
