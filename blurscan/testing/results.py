"""Result folders without scanning: result JSONs (made by the result model) and thumbnail JPEGs, for the
report's browser tests and its 10,000-video benchmark.

The report only reads results, so its browser test and its 10,000-video
benchmark need no videos: each synthetic video gets a score curve with
blurry dips, segments with timecodes, and (optionally) a worst/sharp
thumbnail pair per segment — the sharp one a checkerboard, the worst one
the same board blurred, so "thumbnails load" can also be "they differ".
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from blurscan.detect.base import recommendations, worst_severity
from blurscan.result.model import FailedResult, Segment, Shot, Thumbnail, Verdict, Video, VideoResult

SEVERITY_BY_DEPTH = ((0.55, "severe"), (0.7, "moderate"), (1.0, "mild"))


def thumbnail_jpegs(size: tuple[int, int] = (96, 64)) -> tuple[bytes, bytes]:
    """(sharp, blurred) JPEG bytes of one checkerboard."""
    import cv2
    import numpy as np

    w, h = size
    board = ((np.indices((h, w)).sum(axis=0) // 8) % 2 * 200 + 30).astype(np.uint8)
    board = cv2.merge([board, np.roll(board, 4, axis=1), board // 2 + 60])
    blurred = cv2.GaussianBlur(board, (0, 0), 4.0)
    return cv2.imencode(".jpg", board)[1].tobytes(), cv2.imencode(".jpg", blurred)[1].tobytes()


def add_thumbnails(out_dir: Path, result_file: str, jpegs: tuple[bytes, bytes] | None = None) -> int:
    """Give each segment of a result (from a real scan) a worst and a sharp thumbnail, as the scan will;
    returns the number of segments. Leaves thumbnails the scan already made alone."""
    path = out_dir / result_file
    data = json.loads(path.read_text(encoding="utf-8"))
    sharp, blurred = jpegs or thumbnail_jpegs()
    stem = result_file[: -len(".json")]
    fps = (data.get("video") or {}).get("fps") or 25.0
    for number, seg in enumerate(data.get("segments") or [], 1):
        if seg.get("thumbnails"):
            continue
        thumbs = {}
        for kind, frame, jpeg in (("worst", seg["start_frame"], blurred), ("sharp", max(0, seg["start_frame"] - 1), sharp)):
            name = f"{stem}.seg{number:03d}.{kind}.jpg"
            (out_dir / name).write_bytes(jpeg)
            thumbs[kind] = {"frame": frame, "time_s": round(frame / fps, 4), "file": name}
        seg["thumbnails"] = thumbs
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(data.get("segments") or [])


def synthetic_result(path: str, frames: int, fps: float, rng: random.Random, stem: str,
                     thumbnails: bool) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """A plausible result, made by the result model: noisy scores near 0.9 with 0-3 blurry dips; the thumbnails
    it names."""
    scores = [min(1.0, max(0.0, rng.gauss(0.9, 0.03))) for _ in range(frames)]
    events: list[Segment] = []
    blur_frames: list[int] = []
    files = []
    for _ in range(1, rng.choice((0, 0, 1, 1, 2, 3)) + 1):
        length = rng.randint(3, max(3, frames // 12))
        start = rng.randint(0, frames - length - 1)
        depth = rng.uniform(0.15, 0.8)
        for i in range(start, start + length):
            scores[i] = min(scores[i], depth + rng.uniform(0, 0.05))
        if events and start <= events[-1].end_frame:
            continue
        severity = next(s for d, s in SEVERITY_BY_DEPTH if depth < d)
        seg = Segment(start, start + length - 1, start / fps, (start + length) / fps, severity,
                      min(scores[start:start + length]))
        if thumbnails:
            for kind, frame in (("worst", start + length // 2), ("sharp", max(0, start - 2))):
                name = f"{stem}.seg{len(events) + 1:03d}.{kind}.jpg"
                seg.thumbnails[kind] = Thumbnail(frame, frame / fps, name)
                files.append((name, kind == "worst"))
        events.append(seg)
        blur_frames += list(range(start, start + length))
    severity = worst_severity(s.severity for s in events)
    name = path.rsplit("/", 1)[-1]
    video = Video(path, name, stream=0, frames=frames, fps=fps, duration_s=frames / fps, width=1280, height=720)
    shot = Shot(0, 0, frames - 1, 0.0, frames / fps, soft=False)
    verdict = Verdict(blur_detected=bool(events), severity=severity, confidence=rng.uniform(0.6, 0.99), threshold=0.9,
                      recommendations=recommendations(severity), blurry_throughout=False, floor=0.5,
                      camera_movement=rng.uniform(0, 0.3))
    result = VideoResult(video=video, settings={"scorer": "sharpness", "detector": "drop", "window_size": 3, "lang": "en"},
                         scores=np.array(scores), blur_frames=np.array(blur_frames, dtype=np.int64), events=events,
                         shots=[shot], verdict=verdict, timing={"seconds": 1.0, "frames_per_s": float(frames)},
                         memory={"peak_rss_mb": 100.0})
    return result.to_dict(), files


def write_synthetic_batch(out_dir: str | Path, n: int, *, frames: tuple[int, int] = (200, 3000), seed: int = 0,
                          thumbnails: bool = True, errors_every: int = 50) -> Path:
    """``n`` result files in ``out_dir`` (videos under ``/data/cam<k>/day<j>/``), one in ``errors_every``
    a failed video, thumbnails as shared JPEG files. No manifest: ``blurscan report`` finds the results."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sharp, blurred = thumbnail_jpegs() if thumbnails else (b"", b"")
    for i in range(n):
        path = f"/data/cam{i % 7}/day{i % 13:02d}/clip_{i:05d}.mp4"
        stem = f"cam{i % 7}__day{i % 13:02d}__clip_{i:05d}"
        if errors_every and i % errors_every == errors_every - 1:
            failed = FailedResult(Video(path, path.rsplit("/", 1)[-1]), {}, f"{path}: cannot be read as a video "
                                  "(moov atom not found)", "CorruptVideoError")
            data = failed.to_dict()
            files = []
        else:
            data, files = synthetic_result(path, rng.randint(*frames), rng.choice((25.0, 29.97, 30.0)), rng, stem,
                                           thumbnails)
        for name, worst in files:
            (out_dir / name).write_bytes(blurred if worst else sharp)
        (out_dir / f"{stem}.json").write_text(json.dumps(data), encoding="utf-8")
    return out_dir
