"""Options shared by the commands, and the validated settings built from them.

Nothing here copies a library's list of choices: each choice list, range and
default comes from the library's own constants or from a plug-in's
declaration (:mod:`blurscan.registry`). ``--option NAME=VALUE`` and
``--detector-option NAME=VALUE`` reach any plug-in's options, third-party ones
included; the built-in flags below (``--measure``, ``--working-width``, the
GPU flags, ``--sensitivity``) are aliases generated from the same declarations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
from blurscan.errors import UsageError
from blurscan.messages import LANGS
from blurscan.pipeline.windows import COMPAT_MODES
from blurscan.registry import Option, Registry, parse_options
from blurscan.scorers import SCORERS
from blurscan.settings import (
    BATCH_SIZE_RANGE,
    DEFAULT_CAMERA_MOTION,
    DEFAULT_SCORER,
    DEFAULT_THUMBNAIL_SIZE,
    DEFAULT_WINDOW_SIZE,
    THUMBNAIL_SIZE_RANGE,
    WINDOW_SIZE_RANGE,
    Settings,
    parse_batch_size,
)
from blurscan.taps.motion import MOTION_ESTIMATORS
from blurscan.timecode import TimeRange

SCORING = "Scoring"
GPU = "GPU scorers (qalign)"
OUTPUT = "Output"

#: flags that stand for a plug-in's option: option name -> (the built-in plug-in that declares it, help panel)
SCORER_ALIASES = {"measure": ("sharpness", SCORING), "working_width": ("sharpness", SCORING),
                  "device": ("qalign", GPU), "model": ("qalign", GPU), "dtype": ("qalign", GPU),
                  "vision_attention": ("qalign", GPU)}
DETECTOR_ALIASES = {"sensitivity": (DEFAULT_DETECTOR, SCORING)}


def _choices(registry: Registry, default: str) -> str:
    """The registered plug-ins, for --help (``blurscan list`` says what each needs)."""
    return ", ".join(f"{name} (default)" if name == default else name for name in registry.names())


def _declared(registry: Registry, plugin: str, name: str) -> Option:
    return next(option for option in registry.options(plugin) if option.name == name)


def alias(registry: Registry, name: str, plugin: str, panel: str) -> Any:
    """The flag for ``plugin``'s option ``name``: its type, choices, range and help from the declaration."""
    option = _declared(registry, plugin, name)
    kind: Any = Literal[option.choices] if option.choices else option.type
    limits = {} if option.range is None else {"min": option.range.low, "max": option.range.high}
    default = "auto" if option.default is None else option.default
    help_text = f"{option.help[:1].upper()}{option.help[1:]} ({registry.kind} {plugin}; default {default})."
    return Annotated[Optional[kind], typer.Option(option.flag, help=help_text, rich_help_panel=panel,
                                                  show_default=False, **limits)]


ScorerOpt = Annotated[str, typer.Option("--scorer", "-s", metavar="NAME", help=f"Scorer: {_choices(SCORERS, DEFAULT_SCORER)}. sharpness runs on the CPU with no weights; qalign needs a GPU and the Q-Align weights. `blurscan list` shows all, with their options.", rich_help_panel=SCORING)]
DetectorOpt = Annotated[Optional[str], typer.Option("--detector", "-d", metavar="NAME", help=f"Detector: {_choices(DETECTORS, DEFAULT_DETECTOR)}. drop finds whole blurry segments; mss is VMBench's rule.", rich_help_panel=SCORING, show_default=False)]
ScorerOptionOpt = Annotated[Optional[list[str]], typer.Option("--option", "-O", metavar="NAME=VALUE", help="An option of the scorer (repeatable); `blurscan list` shows each scorer's.", rich_help_panel=SCORING, show_default=False)]
DetectorOptionOpt = Annotated[Optional[list[str]], typer.Option("--detector-option", metavar="NAME=VALUE", help="An option of the detector (repeatable); `blurscan list` shows each detector's.", rich_help_panel=SCORING, show_default=False)]
LangOpt = Annotated[Literal[LANGS], typer.Option("--lang", help="Language of the summaries and reports (English or Chinese); JSON keys and codes stay the same.", rich_help_panel=OUTPUT)]
WindowOpt = Annotated[int, typer.Option("--window-size", "-w", min=WINDOW_SIZE_RANGE[0], max=WINDOW_SIZE_RANGE[1], help="Frames per sliding window (centred; edges repeat the nearest frame).", rich_help_panel=SCORING)]
BatchOpt = Annotated[str, typer.Option("--batch-size", "-b", metavar="auto|N", help=f"Windows per batch: 'auto' chooses from free memory, or {BATCH_SIZE_RANGE[0]}-{BATCH_SIZE_RANGE[1]}.", rich_help_panel=SCORING)]
CompatOpt = Annotated[Optional[Literal[tuple(m for m in COMPAT_MODES if m)]], typer.Option("--compat", help="Reproduce VMBench's window loader exactly, including its off-centre last window.", rich_help_panel=SCORING, show_default=False)]
CameraMotionOpt = Annotated[Literal[MOTION_ESTIMATORS], typer.Option("--camera-motion", help="Camera-movement estimate for adaptive thresholds: flow (global motion) or vmbench (original, first 10 frames).", rich_help_panel=SCORING)]
StreamOpt = Annotated[Optional[int], typer.Option("--stream", min=0, metavar="N", help="Index of the video stream to scan; default: the one FFmpeg would choose (cover art is skipped).", rich_help_panel=SCORING, show_default=False)]
SensitivityOpt = alias(DETECTORS, "sensitivity", *DETECTOR_ALIASES["sensitivity"])
MeasureOpt = alias(SCORERS, "measure", *SCORER_ALIASES["measure"])
WorkingWidthOpt = alias(SCORERS, "working_width", *SCORER_ALIASES["working_width"])
DeviceOpt = alias(SCORERS, "device", *SCORER_ALIASES["device"])
ModelOpt = alias(SCORERS, "model", *SCORER_ALIASES["model"])
DtypeOpt = alias(SCORERS, "dtype", *SCORER_ALIASES["dtype"])
VisionAttentionOpt = alias(SCORERS, "vision_attention", *SCORER_ALIASES["vision_attention"])
ThumbnailsOpt = Annotated[Optional[bool], typer.Option("--thumbnails/--no-thumbnails", help="Write a small JPEG of each blurry segment's worst frame and of a sharp frame of its shot (taken during the scan; needs --output; on by default with --output).", rich_help_panel=OUTPUT, show_default=False)]
PlotOpt = Annotated[bool, typer.Option("--plot", help="Also write a PNG plot of the scores per video (needs --output).", rich_help_panel=OUTPUT)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summaries; errors only.", rich_help_panel=OUTPUT)]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log details (batch sizes, retries).", rich_help_panel=OUTPUT)]
RANGE = "Part of each video"
_TIME = ("as a timecode (00:01:30.5), seconds (90.5 or 90s) or a frame number (2700); times stay on the "
         "video's own timeline")
StartOpt = Annotated[Optional[str], typer.Option("--start", metavar="TIME", help=f"Scan from here, {_TIME}.", rich_help_panel=RANGE, show_default=False)]
EndOpt = Annotated[Optional[str], typer.Option("--end", metavar="TIME", help=f"Scan up to here (not included), {_TIME}.", rich_help_panel=RANGE, show_default=False)]
DurationOpt = Annotated[Optional[str], typer.Option("--duration", metavar="TIME", help="Scan this long from --start (instead of --end): seconds, a timecode or a number of frames.", rich_help_panel=RANGE, show_default=False)]
ThumbnailSizeOpt = Annotated[int, typer.Option("--thumbnail-size", metavar="PX", min=THUMBNAIL_SIZE_RANGE[0], max=THUMBNAIL_SIZE_RANGE[1], help="Longer side of each thumbnail in pixels (at most the scorer's working width: sharpness measures at 640 px).", rich_help_panel=OUTPUT)]
OutDirOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for <video>.json and <video>.frames.csv; without it, print to stdout.", rich_help_panel=OUTPUT, show_default=False)]

DEFAULTS = dict(scorer=DEFAULT_SCORER, window_size=DEFAULT_WINDOW_SIZE, batch_size="auto", lang="en",
                camera_motion=DEFAULT_CAMERA_MOTION, thumbnail_size=DEFAULT_THUMBNAIL_SIZE)


def _plugin_options(registry: Registry, name: str, pairs: list[str] | None, aliases: dict[str, Any],
                    known: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A plug-in's options from ``--option`` pairs and the alias flags given; a flag it does not take is an error."""
    owner = f"{registry.kind} {name!r}"
    options = parse_options(registry.get(name), pairs or [], owner)
    declared = {option.name: option for option in registry.options(name)}
    foreign = []
    for key, value in aliases.items():
        if value is None:
            continue
        if key not in declared:
            foreign.append(key)
            continue
        if key in options and options[key] != value:
            raise UsageError(f"--{key.replace('_', '-')} and --option {key}=... disagree; give one")
        declared[key].check(value, owner)
        options[key] = value
    if foreign:
        flags = ", ".join(f"--{key.replace('_', '-')}" for key in foreign)
        owners = sorted({known[key][0] for key in foreign})
        if registry is SCORERS and SCORERS.get(name).uses_gpu is False and any(known[k][1] == GPU for k in foreign):
            raise UsageError(f"{flags} only apply to GPU scorers such as --scorer qalign; the {name} scorer runs on the CPU")
        raise UsageError(f"{flags} only apply to --{registry.kind} {', '.join(owners)}; the {name} {registry.kind} "
                         f"takes {', '.join(declared) or 'no options'}")
    return options


def build_settings(
    *,
    scorer: str,
    detector: str | None,
    window_size: int = DEFAULT_WINDOW_SIZE,
    batch_size: str = "auto",
    compat: str | None = None,
    camera_motion: str = DEFAULT_CAMERA_MOTION,
    stream: int | None = None,
    lang: str = "en",
    options: list[str] | None = None,
    detector_options: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    duration: str | None = None,
    thumbnail_size: int = DEFAULT_THUMBNAIL_SIZE,
    **aliases: Any,
) -> Settings:
    """Check the options against the chosen plug-ins and build :class:`Settings`; ``aliases`` are the alias
    flags' values (None where not given)."""
    unknown = set(aliases) - set(SCORER_ALIASES) - set(DETECTOR_ALIASES)
    if unknown:
        raise TypeError(f"unknown alias flags {sorted(unknown)}")
    if aliases.get("device") == "cpu" and not SCORERS.get(scorer).uses_gpu:
        aliases["device"] = None  # every CPU scorer runs on the CPU: nothing to say
    scorer_aliases = {k: v for k, v in aliases.items() if k in SCORER_ALIASES}
    detector_aliases = {k: v for k, v in aliases.items() if k in DETECTOR_ALIASES}
    return Settings(
        scorer=scorer,
        detector=detector,
        window_size=window_size,
        batch_size=parse_batch_size(batch_size),
        compat=compat,
        camera_motion=camera_motion,
        stream=stream,
        scorer_options=_plugin_options(SCORERS, scorer, options, scorer_aliases, SCORER_ALIASES),
        detector_options=_plugin_options(DETECTORS, detector or DEFAULT_DETECTOR, detector_options, detector_aliases,
                                         DETECTOR_ALIASES),
        lang=lang,
        time_range=TimeRange.parse(start, end, duration),
        thumbnail_size=thumbnail_size,
    )
