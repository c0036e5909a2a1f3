"""``blurscan watch SOURCE...``: watch live streams and print an event as each finding closes."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from blurscan._cli import app, debug_mode, fail, print_error, setup_logging
from blurscan._cli.options import (
    DEFAULTS,
    DetectorOpt,
    DetectorOptionOpt,
    LangOpt,
    ScorerOpt,
    ScorerOptionOpt,
    SensitivityOpt,
    VerboseOpt,
    WindowOpt,
    build_settings,
)

WATCH = "Watching"
EVENTS = "Events and alerts"


def _seconds(name: str, low: float = 0.0):
    def check(value):
        if value is not None and value < low:
            raise typer.BadParameter(f"must be at least {low:g} seconds")
        return value
    return check


@app.command()
def watch(
    sources: Annotated[Optional[list[str]], typer.Argument(help="'-' (a stream on standard input), a stream URL (udp://, rtp://, rtsp://, srt://, rtmp://, http(s)://) or /dev/videoN; several are watched each in its own process.", show_default=False, metavar="SOURCE")] = None,
    source_list: Annotated[Optional[Path], typer.Option("--list", help="A file of sources, one a line (# starts a comment).", rich_help_panel=WATCH, show_default=False)] = None,
    events: Annotated[Optional[Path], typer.Option("--events", help="Also append each event (one JSON object a line) to this file.", rich_help_panel=EVENTS, show_default=False)] = None,
    snapshots: Annotated[Optional[Path], typer.Option("--snapshots", help="Write a JPEG of each event's worst frame into this folder (the event's 'snapshot' names it).", rich_help_panel=EVENTS, show_default=False)] = None,
    webhook: Annotated[Optional[str], typer.Option("--webhook", help="POST each event's JSON to this http(s) URL (in the background, retried with back-off; a dead endpoint is logged, never fatal).", rich_help_panel=EVENTS, show_default=False)] = None,
    cooldown: Annotated[float, typer.Option("--cooldown", help="Seconds after an event in which another of its kind is not reported (a flapping camera is one event).", rich_help_panel=EVENTS, callback=_seconds("cooldown"))] = 0.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds without a frame after which the signal is lost (then the source is reconnected with back-off).", rich_help_panel=WATCH, callback=_seconds("timeout", 0.5))] = 5.0,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop cleanly after this many seconds.", rich_help_panel=WATCH, show_default=False, callback=_seconds("duration", 0.1))] = None,
    status_every: Annotated[float, typer.Option("--status-every", help="Seconds between status lines on standard error (fps, lag, dropped frames, memory); 0: only the last.", rich_help_panel=WATCH, callback=_seconds("status-every"))] = 60.0,
    soft_after: Annotated[float, typer.Option("--soft-after", help="Seconds far below the stream's sharp level before the picture is reported soft (0: off).", rich_help_panel=EVENTS, callback=_seconds("soft-after"))] = 10.0,
    flat_after: Annotated[float, typer.Option("--flat-after", help="Seconds of a black or uniform picture before it is reported flat (0: off).", rich_help_panel=EVENTS, callback=_seconds("flat-after"))] = 3.0,
    frozen_after: Annotated[float, typer.Option("--frozen-after", help="Seconds of the very same picture before it is reported frozen (0: off).", rich_help_panel=EVENTS, callback=_seconds("frozen-after"))] = 10.0,
    tag: Annotated[str, typer.Option("--tag", hidden=True, help="Snapshot name prefix (set for each camera of a fleet).")] = "",
    scorer: ScorerOpt = DEFAULTS["scorer"],
    detector: DetectorOpt = None,
    option: ScorerOptionOpt = None,
    detector_option: DetectorOptionOpt = None,
    window_size: WindowOpt = DEFAULTS["window_size"],
    sensitivity: SensitivityOpt = None,
    lang: LangOpt = DEFAULTS["lang"],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No status lines; events and errors only.", rich_help_panel="Output")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Watch live video and print an event (JSON, one a line) as soon as each finding closes.

    Events: blur (a blurry stretch, once it has ended), soft (the picture far below the stream's own sharp
    level: when decided, then on recovery), flat, frozen, signal_lost and signal_back. Stops at the end of
    the input, after --duration, or on SIGTERM / Ctrl-C, with a last status line; exit code 0.
    """
    from blurscan.errors import BlurscanError, OutputError, UsageError
    from blurscan.io.atomic import make_output_dir, output_error
    from blurscan.io.escape import terminal_text
    from blurscan.watch.sources import parse_source
    from blurscan.watch.webhook import check_webhook

    setup_logging(verbose, quiet)
    try:
        names = list(sources or [])
        if source_list is not None:
            names += _read_list(source_list)
        if not names:
            raise UsageError("give a SOURCE ('-', a stream URL or /dev/videoN) or --list FILE")
        specs = [parse_source(name) for name in names]
        if sum(spec.kind == "stdin" for spec in specs) > 1:
            raise UsageError("standard input ('-') can be watched once")
        if any(spec.kind == "stdin" for spec in specs) and sys.stdin is not None and sys.stdin.isatty():
            raise UsageError("standard input is a terminal: pipe a stream into it, e.g. "
                             "ffmpeg -i SOURCE -f mpegts - | blurscan watch -")
        if webhook is not None:
            check_webhook(webhook)
        settings = build_settings(scorer=scorer, detector=detector, window_size=window_size, lang=lang,
                                  options=option, detector_options=detector_option, sensitivity=sensitivity)
        if events is not None:
            _check_events_file(events, output_error)
        if snapshots is not None:
            make_output_dir(snapshots)
    except (BlurscanError, OutputError) as ex:
        if debug_mode():
            raise
        fail(str(ex), ex.exit_code)

    stop = threading.Event()
    _stop_on_signals(stop)

    if len(specs) > 1:
        from blurscan.watch.fleet import watch_fleet

        child = _child_args(snapshots=snapshots, webhook=webhook, cooldown=cooldown, timeout=timeout,
                            duration=duration, status_every=status_every, soft_after=soft_after, flat_after=flat_after,
                            frozen_after=frozen_after, scorer=scorer, detector=detector, option=option,
                            detector_option=detector_option, window_size=window_size, sensitivity=sensitivity,
                            lang=lang, quiet=quiet, verbose=verbose)
        raise typer.Exit(watch_fleet(names, child, events_file=events, stop=stop))

    from blurscan.watch.events import EventSink
    from blurscan.watch.watcher import Watcher, WatchSettings
    from blurscan.watch.webhook import WebhookSender

    sender = WebhookSender(webhook, lang=lang) if webhook else None
    sink = EventSink(specs[0].label, events_file=events, snapshots=snapshots, webhook=sender, tag=tag)
    watch_settings = WatchSettings(scan=settings, timeout=timeout, duration=duration, cooldown=cooldown,
                                   status_every=status_every, soft_after=soft_after, flat_after=flat_after,
                                   frozen_after=frozen_after, snapshots=snapshots is not None, lang=lang)

    def status(text: str) -> None:
        if not quiet:
            sys.stderr.write(terminal_text(text) + "\n")
            sys.stderr.flush()

    try:
        Watcher(specs[0], watch_settings, sink, status=status, stop=stop).run()
    except BlurscanError as ex:
        if debug_mode():
            raise
        fail(str(ex), ex.exit_code)
    except Exception as ex:  # noqa: BLE001 - one line, not a traceback
        if debug_mode():
            raise
        fail(f"{specs[0].label}: {ex}", 1)
    finally:
        if sender is not None:
            sender.close()
    raise typer.Exit(0)


def _read_list(path: Path) -> list[str]:
    from blurscan.errors import InputError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as ex:
        raise InputError(f"{path}: cannot read the list of sources ({ex})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _check_events_file(path: Path, output_error) -> None:
    """Fail now, in one line, if the events file cannot be appended to (never through a link)."""
    import os

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, 0o666))
    except OSError as ex:
        raise output_error(path, ex) from None


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and Ctrl-C end the watch cleanly: the run in progress is flushed and a last status line written."""
    def handler(signum, frame):
        if stop.is_set():
            print_error("stopping (a second signal: exiting now)")
            raise SystemExit(128 + signum)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread (tests calling in-process)
            pass


def _child_args(**values) -> list[str]:
    """The options of ``watch`` again, for a child watching one of several sources."""
    args: list[str] = []
    for name, value in values.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, list):
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    return args
