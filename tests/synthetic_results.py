"""Result folders without scanning: result JSONs (schema ``blurscan/1``) and thumbnail JPEGs made by hand.

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

from blurscan.result import SCHEMA
from blurscan.timecode import clock

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
    """A plausible result: noisy scores near 0.9 with 0-3 blurry dips; the thumbnails it names."""
    scores = [min(1.0, max(0.0, rng.gauss(0.9, 0.03))) for _ in range(frames)]
    segments, blur_frames, files = [], [], []
    for _ in range(1, rng.choice((0, 0, 1, 1, 2, 3)) + 1):
        length = rng.randint(3, max(3, frames // 12))
        start = rng.randint(0, frames - length - 1)
        depth = rng.uniform(0.15, 0.8)
        for i in range(start, start + length):
            scores[i] = min(scores[i], depth + rng.uniform(0, 0.05))
        if segments and start <= segments[-1]["end_frame"]:
            continue
        severity = next(s for d, s in SEVERITY_BY_DEPTH if depth < d)
        seg = {
            "start_frame": start, "end_frame": start + length - 1,
            "start_s": round(start / fps, 4), "end_s": round((start + length - 1) / fps, 4),
            "start_tc": clock(start / fps), "end_tc": clock((start + length - 1) / fps),
            "duration_s": round((length - 1) / fps, 4), "frames": length, "severity": severity,
            "min_score": round(min(scores[start:start + length]), 6),
        }
        if thumbnails:
            seg["thumbnails"] = {}
            for kind, frame in (("worst", start + length // 2), ("sharp", max(0, start - 2))):
                name = f"{stem}.seg{len(segments) + 1:03d}.{kind}.jpg"
                seg["thumbnails"][kind] = {"frame": frame, "time_s": round(frame / fps, 4), "file": name}
                files.append((name, kind == "worst"))
        segments.append(seg)
        blur_frames += list(range(start, start + length))
    severities = [s["severity"] for s in segments]
    severity = max(severities, key=("none", "mild", "moderate", "severe").index) if severities else "none"
    ratio = round(len(blur_frames) / frames, 6)
    name = path.rsplit("/", 1)[-1]
    data = {
        "schema": SCHEMA,
        "video": {"path": path, "name": name, "frames": frames, "fps": fps, "duration_s": round(frames / fps, 3),
                  "width": 1280, "height": 720},
        "settings": {"scorer": "sharpness", "detector": "drop", "window_size": 3, "lang": "en"},
        "scores": [round(s, 6) for s in scores],
        "blur_frames": blur_frames,
        "segments": segments,
        "blur_detected": bool(segments),
        "blurry_throughout": False,
        "blur_ratio": ratio,
        "mss": round(1 - ratio, 6),
        "severity": severity,
        "confidence": round(rng.uniform(0.6, 0.99), 4),
        "avg_quality": round(sum(scores) / frames, 6),
        "camera_movement": round(rng.uniform(0, 0.3), 4),
        "recommendations": ["No blur found; no action needed."] if not segments else
        ["Moderate blur: review the listed segments.", "Consider fixing or dropping only the affected frames."],
        "timing": {"seconds": 1.0, "frames_per_s": float(frames)},
        "memory": {"peak_rss_mb": 100.0},
        "warnings": [],
    }
    return data, files


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
            data = {"schema": SCHEMA, "video": {"path": path, "name": path.rsplit("/", 1)[-1]},
                    "error": f"{path}: cannot be read as a video (moov atom not found)", "error_type": "CorruptVideoError"}
            files = []
        else:
            data, files = synthetic_result(path, rng.randint(*frames), rng.choice((25.0, 29.97, 30.0)), rng, stem,
                                           thumbnails)
        for name, worst in files:
            (out_dir / name).write_bytes(blurred if worst else sharp)
        (out_dir / f"{stem}.json").write_text(json.dumps(data), encoding="utf-8")
    return out_dir
