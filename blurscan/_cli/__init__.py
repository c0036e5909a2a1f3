"""The command line: ``blurscan detect``, ``blurscan batch``, ``blurscan demo``.

Exit codes: 0 done, 1 an error (a bad video, a missing model ...), 2 bad
arguments, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). Set
``BLURSCAN_DEBUG=1`` to get tracebacks instead of one-line errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys

import typer

from blurscan.errors import BlurscanError

app = typer.Typer(
    name="blurscan",
    help="Find blurry frames and blurry segments in videos of any length, in bounded memory.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def debug_mode() -> bool:
    return os.environ.get("BLURSCAN_DEBUG", "") not in ("", "0")


def print_error(message: str) -> None:
    """One error line on standard error (the message is shown as is, never as markup)."""
    from rich.markup import escape

    from blurscan._cli.progress import stderr

    stderr.print(f"[bold red]error:[/bold red] {escape(str(message))}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1):
    print_error(message)
    raise typer.Exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop, keep what is done, write the summaries."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def friendly_errors():
    """Turn library errors into one line and the right exit code; SIGTERM stops like Ctrl-C (exit 143)."""
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
        fail("terminated", 128 + signal.SIGTERM)
    except KeyboardInterrupt:
        if debug_mode():
            raise
        fail("interrupted", 130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def setup_logging(verbose: bool, quiet: bool) -> None:
    from rich.logging import RichHandler

    from blurscan._cli.progress import stderr

    logger = logging.getLogger("blurscan")
    logger.handlers.clear()
    handler = RichHandler(console=stderr, show_time=False, show_path=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False


from blurscan._cli import batch, demo, detect, report  # noqa: E402,F401  (commands register on import)


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="blurscan")
    except SystemExit as ex:
        code = ex.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
