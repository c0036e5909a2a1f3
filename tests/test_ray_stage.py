"""``blurscan.ray.BlurScan``, the stage users drop into their own Ray Data pipelines: each batch comes
back with the Parquet row's result columns added, the same rows ``blurscan batch`` writes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from blurscan.errors import NotAVideoError, UsageError
from blurscan.testing.synthetic import Blur, make_clip

pa = pytest.importorskip("pyarrow", reason="the parquet extra is not installed: pip install 'blurscan[parquet]'")
import pyarrow.parquet as pq  # noqa: E402

from blurscan.ray import BlurScan  # noqa: E402

CLIPS = 20
#: columns that differ from run to run
RUN_FACTS = {"seconds", "frames_per_s", "peak_rss_mb"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Twenty 48x32 clips of 8 frames (copies of four: two sharp, two with a Gaussian burst on frames 3-4)
    and one file named like a video that is not one."""
    bases = tmp_path_factory.mktemp("ray-bases")
    made = [make_clip(bases / f"b{i}.mp4", frames=8, width=48, height=32, seed=20 + i,
                      blurs=[Blur(3, 4, "gaussian", 3.0)] if i % 2 else []) for i in range(4)]
    folder = tmp_path_factory.mktemp("ray-stage") / "clips"
    folder.mkdir()
    for i in range(CLIPS):
        shutil.copy(made[i % 4].path, folder / f"v{i:02d}.mp4")
    (folder / "junk.mp4").write_bytes(b"junk" * 64)
    return folder


@pytest.fixture(scope="module")
def cli_rows(clips, tmp_path_factory):
    """What ``blurscan batch --output-format parquet`` writes for the clips, by path."""
    out = tmp_path_factory.mktemp("ray-cli") / "out"
    done = subprocess.run([sys.executable, "-m", "blurscan", "batch", str(clips), "-o", str(out), "-q",
                           "--output-format", "parquet"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the junk file
    return {r["path"]: _findings(r) for r in pq.read_table(out / "videos").to_pylist()}


def _findings(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in RUN_FACTS}


def _paths(clips) -> list[str]:
    return sorted(str(p) for p in clips.iterdir())


def test_each_batch_format_comes_back_in_its_format_with_the_rows_of_the_cli(clips, cli_rows):
    paths = [str(clips / f"v0{i}.mp4") for i in range(3)] + [str(clips / "junk.mp4")]
    stage = BlurScan()
    numpy_batch = stage({"path": np.array(paths), "label": np.arange(len(paths))})
    assert isinstance(numpy_batch["status"], np.ndarray) and numpy_batch["label"].tolist() == [0, 1, 2, 3]
    # Python lists and None, which Ray turns back into the row schema's types (not pickles, not NaN)
    assert numpy_batch["warnings"].tolist()[:3] == [[], [], []] and numpy_batch["segment_count"][3] is None
    arrow_batch = stage(pa.table({"path": paths, "label": list(range(len(paths)))}))
    assert arrow_batch.column_names[:2] == ["path", "label"] and arrow_batch.schema.field("segments").type == \
        pa.list_(arrow_batch.schema.field("segments").type.value_type)
    pandas = pytest.importorskip("pandas")
    frame = stage(pandas.DataFrame({"path": paths, "label": range(len(paths))}, index=[10, 11, 12, 13]))
    assert list(frame.index) == [10, 11, 12, 13] and list(frame["label"]) == [0, 1, 2, 3]
    rows = arrow_batch.drop_columns(["label"]).to_pylist()
    assert [_findings(r) for r in rows] == [cli_rows[p] for p in paths]
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error"]
    assert "cannot be read as a video" in rows[-1]["error"]
    assert list(frame["status"]) == list(numpy_batch["status"]) == [r["status"] for r in rows]


def test_errors_raise_only_when_asked_and_a_missing_column_says_which(clips):
    junk = str(clips / "junk.mp4")
    with pytest.raises(NotAVideoError, match="cannot be read as a video"):
        BlurScan(raise_errors=True)({"path": np.array([junk])})
    with pytest.raises(UsageError, match="no 'video' column"):
        BlurScan(path_column="video")({"path": np.array([junk])})
    row = BlurScan(path_column="video")({"video": np.array([None, junk], dtype=object)})
    assert row["status"].tolist() == ["error", "error"] and "no video path" in row["error"][0]
    assert row["path"][1] == junk  # the schema's own path column is added beside the input's
    with pytest.raises(UsageError, match="window size must be"):
        BlurScan(options={"window_size": 0})
    with pytest.raises(UsageError, match="unexpected keyword argument .windw_size."):
        BlurScan(options={"windw_size": 3})


@pytest.mark.slow
def test_map_batches_on_a_local_ray_gives_the_cli_rows(clips, cli_rows, tmp_path):
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'blurscan[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'blurscan[ray]'")
    listing = tmp_path / "clips"  # a listing in three files: three blocks for two actors
    listing.mkdir()
    table = pa.table({"path": _paths(clips), "clip_id": list(range(CLIPS + 1))})
    for i in range(3):
        pq.write_table(table.slice(i * 7, 7), listing / f"part-{i}.parquet")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        from ray.data.expressions import col

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        scanned = ray.data.read_parquet(str(listing)).map_batches(
            BlurScan, fn_constructor_kwargs={"scorer": "sharpness"}, compute=ray.data.ActorPoolStrategy(min_size=1, max_size=2),
            num_cpus=0.5, batch_size=4).materialize()  # CPUs left for the read and write tasks
        scanned.filter(expr=(col("status") == "ok") & ~col("blur_detected")).write_parquet(str(tmp_path / "sharp"))
        rows = scanned.take_all()
        pandas_rows = ray.data.read_parquet(str(listing)).map_batches(
            BlurScan, batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=1), num_cpus=0.5, batch_size=8).take_all()
    finally:
        ray.shutdown()
    assert len(rows) == CLIPS + 1 and sorted(r["clip_id"] for r in rows) == list(range(CLIPS + 1))
    by_path = {r["path"]: _findings({k: _plain(v) for k, v in r.items() if k != "clip_id"}) for r in rows}
    assert sorted(by_path) == sorted(cli_rows)
    differing = {(path, key) for path, row in by_path.items() for key in row | cli_rows[path]
                 if row.get(key) != cli_rows[path].get(key)}
    assert not differing, [(p, k, by_path[p].get(k), cli_rows[p].get(k)) for p, k in sorted(differing)[:3]]
    assert {r["path"]: r["status"] for r in pandas_rows} == {p: r["status"] for p, r in cli_rows.items()}
    kept = pq.read_table(tmp_path / "sharp").to_pylist()
    assert sorted(r["path"] for r in kept) == sorted(p for p, r in cli_rows.items()
                                                     if r["status"] == "ok" and not r["blur_detected"])
    assert len(kept) == CLIPS // 2


def _plain(value):
    """A value as ``to_pylist`` gives it (Ray hands back NumPy arrays and scalars)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_the_stage_module_does_not_import_ray():
    done = subprocess.run([sys.executable, "-c", "import sys, blurscan, blurscan.ray; print('ray' in sys.modules)"],
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
