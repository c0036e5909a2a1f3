"""The README's examples run as written: its shell blocks' blurscan commands and its Python examples, in order,
in one folder holding the clips they name (made here). What cannot run on a CPU-only machine without a
network (GPU, object storage, a Ray cluster, installing packages) is skipped by a named rule below."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from blurscan.testing.synthetic import Blur, make_clip

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: commands not run here, and why (each rule must match at least one README command)
SKIPPED = {
    "pip install": "installs packages (the first two commands' pip lines are checked against pyproject.toml)",
    "--scorer qalign": "needs the Q-Align weights and a GPU",
    "s3://": "needs object storage",
    "--engine ray": "starts a Ray cluster (tests/test_scale.py runs the engine)",
    "ray start": "starts a Ray cluster",
    "huggingface-cli": "downloads 16 GB",
    "python benchmarks/": "benchmarks, minutes each",
    "python -m pytest": "this is the test suite",
    "ruff check": "the linter, not an example",
    "blurscan watch": "watches a live source until stopped (tests/test_watch.py runs watch on pipes and UDP)",
}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def commands() -> list[str]:
    """Every command of the README's bash blocks: continuation lines joined, comments and blank lines left out."""
    found = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                found.append(line.removeprefix("pip install . && "))  # the first command: the package is installed
    return found


def skip_reason(command: str) -> str | None:
    return next((why for rule, why in SKIPPED.items() if rule in command), None)


def test_every_skip_rule_is_used_and_the_usage_examples_are_mostly_run():
    all_commands = commands()
    for rule in SKIPPED:
        assert any(rule in c for c in all_commands), f"README no longer has a command with {rule!r}: drop the rule"
    run = [c for c in all_commands if skip_reason(c) is None]
    assert len(run) >= 15 and "blurscan demo" in run, run


def test_the_first_two_commands_install_what_exists():
    """`pip install .` and `pip install 'torch==…' -e '.[test,qalign,ray]'`: the extras named are the project's."""
    first = blocks("bash")[0]
    project = (ROOT / "pyproject.toml").read_text()
    section = project.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([\w-]+)\s*=", section, re.M))
    named = {e for group in re.findall(r"\.\[([\w,]+)\]", first) for e in group.split(",")}
    assert named and named <= extras, (named, extras)
    assert "blurscan demo" in first and "python -m pytest" in first


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """What the examples name: clip.mp4 (6 s, a blurry burst), other.mov, and videos/ with two clips."""
    here = tmp_path_factory.mktemp("readme")
    make_clip(here / "clip.mp4", frames=180, width=320, height=180, blurs=[Blur(80, 89, "gaussian", 3.0)], seed=11)
    make_clip(here / "other.mov", frames=45, width=320, height=180, seed=12)
    (here / "videos").mkdir()
    shutil.copy(here / "clip.mp4", here / "videos" / "a.mp4")
    make_clip(here / "videos" / "b.mp4", frames=45, width=320, height=180, seed=13)
    (here / "shards").mkdir()  # webdataset-style shards of the tar examples
    for n, members in enumerate(((("KEY.mp4", here / "clip.mp4"), ("KEY.json", None)), (("OTHER.mp4", here / "other.mov"),))):
        with tarfile.open(here / "shards" / f"shard-{n:03d}.tar", "w") as shard:
            for name, source in members:
                data = source.read_bytes() if source else b"{}"
                info = tarfile.TarInfo(name)
                info.size = len(data)
                shard.addfile(info, io.BytesIO(data))
    return here


def _env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]), "HF_HUB_OFFLINE": "1"}


@pytest.mark.slow
def test_the_readme_runs_as_written(folder):
    """Each command, in the README's order, exits 0; then the Python examples run as scripts."""
    env = _env()
    for command in commands():
        if skip_reason(command):
            continue
        done = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    library, plugin = blocks("python")[0], blocks("python")[1]
    script = folder / "example.py"
    script.write_text(library)
    done = subprocess.run([sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # the main guard holds: the workers that import the script again do not scan clip.mp4 again
    assert done.stdout.count("{'segment_count'") == 1, done.stdout
    (folder / "plugin.py").write_text(plugin)
    done = subprocess.run([sys.executable, str(folder / "plugin.py")], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
