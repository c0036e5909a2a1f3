"""Options shared by ``detect`` and ``batch``, and the validated settings built from them."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from blurscan.errors import UsageError
from blurscan.settings import (
    BATCH_SIZE_RANGE,
    DEFAULT_SCORER,
    DEFAULT_WINDOW_SIZE,
    WINDOW_SIZE_RANGE,
    Settings,
    parse_batch_size,
)

SCORING = "Scoring"
GPU = "GPU scorers (qalign)"
OUTPUT = "Output"


class Dtype(str, Enum):
    fp16 = "fp16"
    bf16 = "bf16"


class VisionAttention(str, Enum):
    eager = "eager"
    sdpa = "sdpa"


class Measure(str, Enum):
    edge = "edge"
    laplacian = "laplacian"
    tenengrad = "tenengrad"


class CameraMotion(str, Enum):
    flow = "flow"
    vmbench = "vmbench"


class Compat(str, Enum):
    vmbench = "vmbench"


def _choices(kind: str) -> str:
    """The registered plug-ins, for --help (``blurscan list`` says what each needs)."""
    from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
    from blurscan.scorers import SCORERS

    registry, default = (SCORERS, DEFAULT_SCORER) if kind == "scorer" else (DETECTORS, DEFAULT_DETECTOR)
    return ", ".join(f"{name} (default)" if name == default else name for name in registry.names())


ScorerOpt = Annotated[str, typer.Option("--scorer", "-s", metavar="NAME", help=f"Scorer: {_choices('scorer')}. sharpness runs on the CPU with no weights; qalign needs a GPU and the Q-Align weights. `blurscan list` shows all.", rich_help_panel=SCORING)]
DetectorOpt = Annotated[Optional[str], typer.Option("--detector", "-d", metavar="NAME", help=f"Detector: {_choices('detector')}. drop finds whole blurry segments; mss is VMBench's rule.", rich_help_panel=SCORING, show_default=False)]
LangOpt = Annotated[str, typer.Option("--lang", metavar="en|zh", help="Language of the summaries and reports (English or Chinese); JSON keys and codes stay the same.", rich_help_panel=OUTPUT)]
WindowOpt = Annotated[int, typer.Option("--window-size", "-w", min=WINDOW_SIZE_RANGE[0], max=WINDOW_SIZE_RANGE[1], help="Frames per sliding window (centred; edges repeat the nearest frame).", rich_help_panel=SCORING)]
BatchOpt = Annotated[str, typer.Option("--batch-size", "-b", metavar="auto|N", help=f"Windows per batch: 'auto' chooses from free memory, or {BATCH_SIZE_RANGE[0]}-{BATCH_SIZE_RANGE[1]}.", rich_help_panel=SCORING)]
SensitivityOpt = Annotated[Optional[float], typer.Option("--sensitivity", min=0.0, max=1.0, help="Detector sensitivity from 0 (only clear blur) to 1 (flag slight softness); default: the detector's.", rich_help_panel=SCORING, show_default=False)]
CompatOpt = Annotated[Optional[Compat], typer.Option("--compat", help="Reproduce VMBench's window loader exactly, including its off-centre last window.", rich_help_panel=SCORING, show_default=False)]
CameraMotionOpt = Annotated[CameraMotion, typer.Option("--camera-motion", help="Camera-movement estimate for adaptive thresholds: flow (global motion) or vmbench (original, first 10 frames).", rich_help_panel=SCORING)]
MeasureOpt = Annotated[Optional[Measure], typer.Option("--measure", help="Sharpness measure (sharpness scorer): edge (default; absolute scale), laplacian or tenengrad.", rich_help_panel=SCORING, show_default=False)]
WorkingWidthOpt = Annotated[Optional[int], typer.Option("--working-width", min=32, max=4096, help="Width frames are measured at (sharpness scorer; default 640, never upscaled). 1280 catches slight blur on HD video at 1.6x the CPU time.", rich_help_panel=SCORING, show_default=False)]
StreamOpt = Annotated[Optional[int], typer.Option("--stream", min=0, metavar="N", help="Index of the video stream to scan; default: the one FFmpeg would choose (cover art is skipped).", rich_help_panel=SCORING, show_default=False)]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu or cuda:N.", rich_help_panel=GPU)]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Model folder or Hugging Face id (default q-future/one-align).", rich_help_panel=GPU, show_default=False)]
DtypeOpt = Annotated[Dtype, typer.Option("--dtype", help="Model precision.", rich_help_panel=GPU)]
VisionAttentionOpt = Annotated[VisionAttention, typer.Option("--vision-attention", help="Vision-tower attention: eager (as the model ships) or sdpa (faster, less memory).", rich_help_panel=GPU)]
ThumbnailsOpt = Annotated[bool, typer.Option("--thumbnails/--no-thumbnails", help="Write a small JPEG of each blurry segment's worst frame and of a sharp frame of its shot (taken during the scan; needs --output).", rich_help_panel=OUTPUT)]
PlotOpt = Annotated[bool, typer.Option("--plot", help="Also write a PNG plot of the scores per video.", rich_help_panel=OUTPUT)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summaries; errors only.", rich_help_panel=OUTPUT)]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log details (batch sizes, retries).", rich_help_panel=OUTPUT)]
OutDirOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for <video>.json and <video>.frames.csv; without it, print to stdout.", rich_help_panel=OUTPUT, show_default=False)]

DEFAULTS = dict(
    scorer=DEFAULT_SCORER,
    window_size=DEFAULT_WINDOW_SIZE,
    batch_size="auto",
    device="auto",
    lang="en",
    dtype=Dtype.fp16,
    vision_attention=VisionAttention.eager,
    camera_motion=CameraMotion.flow,
)


def build_settings(
    *,
    scorer: str,
    detector: str | None,
    window_size: int,
    batch_size: str,
    sensitivity: float | None,
    compat: Compat | None,
    camera_motion: CameraMotion,
    measure: Measure | None = None,
    working_width: int | None = None,
    stream: int | None = None,
    device: str,
    model: str | None,
    dtype: Dtype,
    vision_attention: VisionAttention,
    lang: str = "en",
) -> Settings:
    """Check the options against the chosen plug-ins and build :class:`Settings`."""
    from blurscan.detect import DETECTORS
    from blurscan.scorers import SCORERS

    scorer_class = SCORERS.get(scorer)
    if detector is not None:
        DETECTORS.get(detector)
    scorer_options: dict = {}
    gpu_options = {"device": device, "model": model, "dtype": dtype.value, "vision_attention": vision_attention.value}
    cpu_options = {"measure": measure.value if measure else None, "working_width": working_width}
    if scorer_class.uses_gpu:
        scorer_options = {k: v for k, v in gpu_options.items() if v is not None}
        given = [f"--{k.replace('_', '-')}" for k, v in cpu_options.items() if v is not None]
        if given:
            raise UsageError(f"{', '.join(given)} only apply to --scorer sharpness")
    else:
        scorer_options = {k: v for k, v in cpu_options.items() if v is not None}
        given = [
            flag
            for flag, value, default in (
                ("--device", device, "auto"),
                ("--model", model, None),
                ("--dtype", dtype, Dtype.fp16),
                ("--vision-attention", vision_attention, VisionAttention.eager),
            )
            if value != default and not (flag == "--device" and value == "cpu")
        ]
        if given:
            raise UsageError(
                f"{', '.join(given)} only apply to GPU scorers such as --scorer qalign; "
                f"the {scorer} scorer runs on the CPU"
            )
    detector_options = {"sensitivity": sensitivity} if sensitivity is not None else {}
    return Settings(
        scorer=scorer,
        detector=detector,
        window_size=window_size,
        batch_size=parse_batch_size(batch_size),
        compat=compat.value if compat else None,
        camera_motion=camera_motion.value,
        stream=stream,
        scorer_options=scorer_options,
        detector_options=detector_options,
        lang=lang,
    )
