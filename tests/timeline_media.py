"""Videos whose timelines are odd though nothing in them is lost: transport streams joined byte
for byte (``cat a.ts b.ts``), a video track that starts after the audio, a clip followed by a
long run of zeros. Each is made on the spot with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blurscan.testing.synthetic import Blur, blurred, scene_frames, write_video


def write_ts(path: Path, images, *, fps: int = 25, start_s: float = 0.0) -> Path:
    """An MPEG-TS file of ``images`` whose clock starts at ``start_s`` (FFmpeg adds its own 1.4 s)."""
    import av

    with av.open(str(path), "w", format="mpegts") as container:
        stream = None
        for i, image in enumerate(images):
            if stream is None:
                stream = container.add_stream("libx264", rate=fps)
                stream.width, stream.height, stream.pix_fmt = image.shape[1], image.shape[0], "yuv420p"
                stream.options = {"preset": "veryfast"}
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = int(round(start_s * fps)) + i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_concatenated_ts(path: Path, *, frames: int = 50, fps: int = 25, blur: Blur | None = None,
                          second_start_s: float = 0.0) -> Path:
    """Two transport streams of ``frames`` frames each, joined byte for byte: the second one's
    clock starts again (at ``second_start_s``: 0, or a later time of day). ``blur`` (frame
    numbers of the second part) blurs part of the second clip."""
    parts = []
    for seed, blurs, start in ((1, (), 0.0), (2, (blur,) if blur else (), second_start_s)):
        part = path.with_name(f".{path.stem}.part{seed}.ts")
        write_ts(part, blurred(scene_frames(frames, 96, 64, pan=1.0, seed=seed), blurs), fps=fps, start_s=start)
        parts.append(part.read_bytes())
        part.unlink()
    path.write_bytes(b"".join(parts))
    return path


def write_late_video(path: Path, *, lead_s: float = 10.0, frames: int = 50, fps: int = 25) -> Path:
    """A Matroska file whose audio starts at 0 and whose video starts ``lead_s`` later."""
    import av

    rate = 16000
    seconds = lead_s + frames / fps
    with av.open(str(path), "w", format="matroska") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        video.options = {"preset": "veryfast"}
        audio = container.add_stream("aac", rate=rate, layout="mono")
        t = np.arange(int(rate * seconds)) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        for done in range(0, samples.shape[1] - 1024, 1024):
            chunk = av.AudioFrame.from_ndarray(samples[:, done : done + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = rate, done
            for packet in audio.encode(chunk):
                container.mux(packet)
        for i, image in enumerate(scene_frames(frames, 96, 64, seed=3)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = int(round((lead_s * fps) + i))
            for packet in video.encode(frame):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return path


def write_zero_padded_mkv(path: Path, *, zeros: int, frames: int = 20) -> Path:
    """A short Matroska clip followed by ``zeros`` bytes of zeros (a sparse file: no disk used)."""
    write_video(path, scene_frames(frames, 96, 64, seed=4), fps=25)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size + zeros)
    return path
