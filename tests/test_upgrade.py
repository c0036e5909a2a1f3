"""Resume across the upgrade: a batch written by the previous release (schema ``blurscan/1``, its journal's
old rows) is resumed without scanning anything again, and its summaries come out with today's names."""

from __future__ import annotations

import csv
import json
import shutil

from blurscan.batch import run_batch
from blurscan.messages import CATALOGUE


def _as_first_schema(data: dict) -> dict:
    """A result as blurscan/1 wrote it: the shot count as ``shots``, English words, no counts."""
    old = {k: v for k, v in data.items() if k not in (
        "segment_count", "event_count", "soft_shot_count", "shot_count", "blur_frame_count", "labels",
        "detector_extra")}
    old["schema"] = "blurscan/1"
    if "error" in data:
        return old
    old["shots"] = data["shot_count"]
    old["recommendations"] = [CATALOGUE[m["code"]][0] for m in data["recommendations"]]
    old["warnings"] = []
    old["shot_list"] = [{k: v for k, v in s.items() if k not in ("reason_code", "reason_values")} | {"reason": None}
                        for s in data["shot_list"]]
    old["segments"] = [{k: v for k, v in s.items() if k != "shot"} for s in data["segments"]]
    return old


def _old_row(row: dict) -> dict:
    """A journal row as the previous release wrote it (its summary's old names, no row version)."""
    old = {k: v for k, v in row.items() if k not in ("row", "verdict", "segment_count", "event_count",
                                                      "soft_shot_count", "shot_count", "blur_frame_count", "error_type")}
    if row.get("status") == "ok":
        old.update(segments=row["segment_count"], blur_frames=row["blur_frame_count"], soft_shots=row["soft_shot_count"],
                   events=row["event_count"])
    return old


def test_a_batch_of_the_previous_release_resumes_without_scanning_again(tmp_path, burst_clip, clean_clip):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(burst_clip.path, videos / "burst.mp4")
    shutil.copy(clean_clip.path, videos / "clean.mp4")
    out = tmp_path / "out"
    first = run_batch(videos, out)
    assert first.scanned == 2
    for path in out.glob("*.json"):
        if path.name != "results.json":
            path.write_text(json.dumps(_as_first_schema(json.loads(path.read_text()))))
    lines = (out / "manifest.jsonl").read_text().splitlines()
    (out / "manifest.jsonl").write_text("\n".join([lines[0], *(json.dumps(_old_row(json.loads(x))) for x in lines[1:])]) + "\n")

    again = run_batch(videos, out, resume=True)
    assert (again.scanned, again.skipped, again.errors) == (0, 2, 0)
    with open(out / "summary.csv", encoding="utf-8", newline="") as handle:
        rows = {r["name"]: r for r in csv.DictReader(handle)}
    assert rows["burst.mp4"]["event_count"] == "1" and rows["burst.mp4"]["verdict"] == "blur_found"
    assert rows["clean.mp4"]["segment_count"] == "0" and rows["clean.mp4"]["shot_count"] == "1"
    combined = json.loads((out / "results.json").read_text())
    assert combined["schema"] == "blurscan/2"
    burst = next(v for v in combined["videos"] if v["video"]["name"] == "burst.mp4")
    assert burst["recommendations"][0]["code"].startswith("advice.")  # the old English advice, read back as codes
