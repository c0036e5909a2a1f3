"""Plug-ins: options declared once by the constructor, taken from the command line, installed by entry point.

The example plug-in in ``examples/blurscan-example-plugin`` is installed here the way pip installs it (its
package on the path, a ``.dist-info`` with its entry points) and run from the command line in a fresh
process, its options given with ``--option`` and ``--detector-option``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.detect import DETECTORS
from blurscan.errors import UsageError
from blurscan.registry import parse_options, plugin_options
from blurscan.scorers import SCORERS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "blurscan-example-plugin"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_options_are_read_from_the_constructor():
    options = {o.name: o for o in plugin_options(SCORERS.get("sharpness"))}
    assert (options["measure"].choices, options["measure"].default) == (("edge", "laplacian", "tenengrad"), "edge")
    assert (options["working_width"].type, options["working_width"].range.low, options["working_width"].range.high) == (
        int, 32, 4096)
    qalign = {o.name: o for o in plugin_options(SCORERS.get("qalign"))}
    assert qalign["dtype"].choices == ("fp16", "bf16", "fp32")  # the CLI once lacked fp32
    assert qalign["model"].optional and qalign["lm_shortcuts"].type is bool
    assert parse_options(SCORERS.get("sharpness"), ["working_width=1280", "measure=laplacian"], "scorer") == {
        "working_width": 1280, "measure": "laplacian"}


def test_a_plain_constructor_declares_its_options_too():
    class Plain:
        def __init__(self, strength=2.0, name="x", enabled=True, steps: int = 3):
            pass

    assert [(o.name, o.type, o.default) for o in plugin_options(Plain)] == [
        ("strength", float, 2.0), ("name", str, "x"), ("enabled", bool, True), ("steps", int, 3)]
    assert parse_options(Plain, ["enabled=no", "steps=5"], "scorer") == {"enabled": False, "steps": 5}


@pytest.mark.parametrize("args, fragment", [
    (["--option", "workingwidth=5"], "has no option 'workingwidth'. Did you mean 'working_width'? Valid options: measure, working_width"),
    (["--option", "working_width=huge"], "working_width: 'huge' is not a int"),
    (["--option", "working_width=8"], "must be from 32 to 4096"),
    (["--option", "measure=fft"], "must be one of edge, laplacian, tenengrad"),
    (["--option", "measure"], "write it as NAME=VALUE"),
    (["--detector-option", "sensitivty=1"], "Did you mean 'sensitivity'?"),
    (["--detector", "mss", "--detector-option", "threshold=2"], "must be from 0 to 1"),
    (["--measure", "edge", "--option", "measure=laplacian"], "disagree"),
])
def test_an_unknown_option_or_a_bad_value_exits_2_naming_the_valid_ones(tmp_path, args, fragment):
    result = run("detect", tmp_path / "missing.mp4", *args)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_options_and_their_aliases_reach_the_plugins_and_the_result(burst_clip):
    result = run("detect", burst_clip.path, "--option", "working_width=160", "--detector-option", "sensitivity=0.7", "-q")
    assert result.exit_code == 0, result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["scorer_options"]["working_width"] == 160 and settings["detector_options"]["sensitivity"] == 0.7
    alias = run("detect", burst_clip.path, "--working-width", "160", "--sensitivity", "0.7", "-q")
    assert json.loads(alias.stdout)["settings"] == settings  # the flag is the option's alias


def test_list_shows_each_plugins_options_with_type_and_default():
    result = run("list")
    assert result.exit_code == 0
    assert "--option working_width=int 32..4096 (default 640)" in result.stdout
    assert "--option dtype=fp16|bf16|fp32 (default fp16)" in result.stdout
    assert "--detector-option sensitivity=float 0..1 (default 0.5)" in result.stdout
    assert "engine    local (default)" in result.stdout


def _install_example(site: Path) -> dict[str, str]:
    """The example plug-in as pip would leave it in ``site``: its package and a dist-info with its entry points."""
    shutil.copytree(EXAMPLE / "blurscan_example", site / "blurscan_example")
    info = site / "blurscan_example_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: blurscan-example-plugin\nVersion: 0.1.0\n")
    project = (EXAMPLE / "pyproject.toml").read_text()
    groups = [line for line in project.splitlines() if line.startswith("[project.entry-points.") or " = \"blurscan_example:" in line]
    text = "\n".join(line.replace('[project.entry-points."', "[").replace('"]', "]").replace('"', "") for line in groups)
    (info / "entry_points.txt").write_text(text + "\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_a_plugin_installed_by_entry_point_runs_from_the_command_line_with_its_options(tmp_path, burst_clip):
    env = _install_example(tmp_path / "site")

    def blurscan(*args):
        return subprocess.run([sys.executable, "-m", "blurscan", *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=120)

    listed = blurscan("list")
    assert "scorer    contrast" in listed.stdout and "--option gain=float 0.1..10 (default 1.0)" in listed.stdout
    assert "detector  below" in listed.stdout and "--detector-option level=float 0..1 (default 0.5)" in listed.stdout
    assert "engine    smallest-first" in listed.stdout
    out = tmp_path / "out"
    scanned = blurscan("detect", burst_clip.path, "-o", out, "--scorer", "contrast", "--option", "gain=2",
                       "--detector", "below", "--detector-option", "level=0.6", "-q")
    assert scanned.returncode == 0, scanned.stderr
    data = json.loads((out / "burst.json").read_text())
    assert data["settings"]["scorer"] == "contrast" and data["settings"]["scorer_options"] == {"working_width": 320, "gain": 2.0}
    assert data["settings"]["detector_options"] == {"level": 0.6, "sensitivity": 0.5}
    assert len(data["scores"]) == 90 and all(0 <= s <= 1 for s in data["scores"])
    bad = blurscan("detect", burst_clip.path, "--scorer", "contrast", "--option", "gain=99")
    assert bad.returncode == 2 and "gain must be from 0.1 to 10" in bad.stderr
    (tmp_path / "videos").mkdir()
    shutil.copy(burst_clip.path, tmp_path / "videos" / "burst.mp4")
    batch = blurscan("batch", tmp_path / "videos", "-o", tmp_path / "batch", "--engine", "smallest-first", "-q")
    assert batch.returncode == 0, batch.stderr
    assert (tmp_path / "batch" / "summary.csv").exists()


def test_registered_plugins_are_found_by_name_with_did_you_mean():
    with pytest.raises(UsageError, match="Did you mean 'drop'"):
        DETECTORS.get("dorp")
