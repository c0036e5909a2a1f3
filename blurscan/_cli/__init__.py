"""The command line: ``blurscan detect``, ``blurscan batch``, ``blurscan watch``, ``blurscan demo``.

Exit codes follow one rule, so scripts can tell "fix the command" from "look at the inputs":

* 0: done, every input scanned.
* 2: the command line itself is wrong and nothing was scanned: an unknown option, a bad
  value or combination of options, an output path that is not a folder.
* 1: it ran, but an input could not be scanned (a missing path, a directory, a broken or
  looping link, a file that is not a video or is damaged, an unknown ``--stream``) or
  something else failed at run time (a model that does not load, a full disk). With
  several videos the others are still scanned; the code is 1 at the end.
* 130: interrupted (Ctrl-C); 143: terminated (SIGTERM), stopped like Ctrl-C.
  ``watch`` is the exception: a watch ends by being stopped, so SIGTERM and Ctrl-C end it with 0.

Every error is one line that says what is wrong and what to do. Set
``BLURSCAN_DEBUG=1`` to get tracebacks instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys

import typer
import typer.core

from blurscan.errors import BlurscanError


class _Commands(typer.core.TyperGroup):
    """The commands, their help showing a value's type only where a value is given: a flag (``--plot``)
    takes none, and an argument's name (VIDEO, DIR_OR_LIST) already says what it is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for command in [self, *self.commands.values()]:
            for param in command.params:
                _plain_type(param)
            command.get_help_option = lambda ctx, made=command.get_help_option: _plain_type(made(ctx))


def _plain_type(param):
    if param is None:
        return None
    if getattr(param, "is_flag", False) and not getattr(param, "count", False):
        param.metavar = ""
    elif param.param_type_name == "argument":
        param.display_type_rich = lambda ctx: None
    return param


app = typer.Typer(
    cls=_Commands,
    name="blurscan",
    help="Find blurry frames and blurry segments in videos of any length, in bounded memory.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        import platform

        import av

        from blurscan import __version__

        ffmpeg = getattr(av, "ffmpeg_version_info", None)
        libavcodec = ".".join(map(str, av.library_versions.get("libavcodec", ())))
        typer.echo(f"blurscan {__version__} (Python {platform.python_version()}, PyAV {av.__version__}, "
                   + (f"FFmpeg {ffmpeg}, " if ffmpeg else "") + f"libavcodec {libavcodec})")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", "-V", is_eager=True, callback=_print_version,
                                 help="Show blurscan's version (and PyAV's, FFmpeg's) and exit."),
) -> None:
    """Find blurry frames and blurry segments in videos of any length, in bounded memory."""


def debug_mode() -> bool:
    return os.environ.get("BLURSCAN_DEBUG", "") not in ("", "0")


def print_error(message: str) -> None:
    """One error line on standard error (the message is shown as is, never as markup or escape sequences)."""
    from blurscan._cli.progress import stderr
    from blurscan.io.escape import terminal_markup

    stderr.print(f"[bold red]error:[/bold red] {terminal_markup(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1):
    print_error(message)
    raise typer.Exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop, keep what is done, write the summaries."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def friendly_errors(kept=None):
    """Turn library errors into one line and the right exit code; SIGTERM stops like Ctrl-C (exit 143).

    ``kept``: a function saying what an interrupted command keeps and how to go on, for its one line."""
    previous = None
    with contextlib.suppress(ValueError):  # only the main thread can set handlers
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except BlurscanError as ex:
        if debug_mode():
            raise
        fail(str(ex), ex.exit_code)
    except Terminated:
        if debug_mode():
            raise
        fail(_stopped("terminated", kept), 128 + signal.SIGTERM)
    except KeyboardInterrupt:
        if debug_mode():
            raise
        fail(_stopped("interrupted", kept), 130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stopped(how: str, kept) -> str:
    note = kept() if kept is not None else None
    return f"{how}: {note}" if note else how


def setup_logging(verbose: bool, quiet: bool) -> None:
    from rich.logging import RichHandler

    from blurscan._cli.progress import stderr
    from blurscan.io.escape import TerminalSafeFormatter

    logger = logging.getLogger("blurscan")
    logger.handlers.clear()
    handler = RichHandler(console=stderr, show_time=False, show_path=False, markup=False)
    handler.setFormatter(TerminalSafeFormatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False


from blurscan._cli import batch, demo, detect, listing, report, split, watch  # noqa: E402,F401  (commands register on import)


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="blurscan")
    except SystemExit as ex:
        code = ex.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
