"""Escaping for every place a name, path or error message is written.

Video names come from folders and lists blurscan did not make, and error
messages quote them, so each is untrusted: in a terminal it could carry escape
sequences, in report.html markup or a ``javascript:`` link, in a spreadsheet a
formula, in Markdown a table-breaking ``|`` or newline. One function per
output context, so every writer escapes the same way.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from typing import Any
from urllib.parse import quote

# Besides C0 controls: DEL and C1 controls, line/paragraph separators, bidi embeddings,
# overrides, isolates and marks (U+061C, U+200E/F), and lone surrogates (undecodable bytes).
_NOT_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_INVISIBLE = re.compile(f"[\x00-\x1f{_NOT_C0}]")
_INVISIBLE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_NOT_C0}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

#: cells starting with one of these are read as formulas by spreadsheets (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Inline Markdown specials; '&', '<' and '>' become entities instead.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()|~$#!{}])")
# where a backslash goes so that a leading "-", "+", "=" or "1." starts no list or heading
_MARKDOWN_BLOCK_START = re.compile(r"^(?:\d+(?=[.)])|(?=[+\-=]))")


def _escape_char(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with control, separator and bidi characters written as escapes (``\\x1b``, ``\\n``,
    ``\\u202e``), as ``repr`` does, so what is shown is what the name holds and one name stays one line."""
    pattern = _INVISIBLE_BUT_NEWLINE if keep_newlines else _INVISIBLE
    return pattern.sub(_escape_char, str(text))


def terminal_text(text: Any, *, keep_newlines: bool = False) -> str:
    """Plain text for a terminal: nothing that a terminal would act on (ESC sequences, CR, bidi)."""
    return visible(text, keep_newlines=keep_newlines)


def terminal_markup(text: Any) -> str:
    """Text to embed in rich markup: shown as is, never as markup or escape sequences."""
    from rich.markup import escape

    return escape(terminal_text(text))


def html_text(text: Any) -> str:
    """Text for an HTML element or a quoted attribute value."""
    return html.escape(visible(text), quote=True)


def html_href(relative_path: str | os.PathLike) -> str:
    """A link (``href``/``src`` value, attribute-escaped) to a file given by its path relative to the page.

    Each segment is percent-encoded, so ``#``, ``?``, ``%`` and ``:`` are part of the
    file name, and the link starts with ``./``, so it can never become a scheme
    (``javascript:``) or another host. Undecodable bytes are encoded as the bytes
    they were. Absolute paths and ``.``/``..`` segments are refused: a
    percent-encoded ``..`` is still ``..`` to a browser.
    """
    relative_path = str(relative_path)
    segments = relative_path.split("/")
    if not relative_path or relative_path.startswith("/") or any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"not a relative path inside the output folder: {relative_path!r}")
    return html.escape("./" + "/".join(quote(s, safe="", errors="surrogateescape") for s in segments))


def script_json(data: Any) -> str:
    """JSON to embed inside ``<script>``: no ``</script>``, ``<!--``, ``&`` or U+2028/2029 can end or bend it."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def csv_cell(value: Any) -> Any:
    """A CSV value; a string a spreadsheet would run as a formula gets a leading ``'``. Numbers are untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def markdown_text(text: Any) -> str:
    """Text for a Markdown table cell or list item: one line, shown literally.

    Control characters and line separators become visible escapes, ``& < >``
    entities, inline specials (`` ` * _ [ ] | $ # ``...) get a backslash, and a
    leading ``-``, ``+``, ``=`` or ``1.`` cannot start a list or heading.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", visible(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_BLOCK_START.sub(lambda m: m.group() + "\\", text, count=1)


class TerminalSafeFormatter(logging.Formatter):
    """Log messages quote names and paths: their control characters are shown as escapes
    (a traceback keeps its line breaks)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return terminal_text(super().formatMessage(record))

    def formatException(self, ei) -> str:
        return terminal_text(super().formatException(ei), keep_newlines=True)

    def formatStack(self, stack_info: str) -> str:
        return terminal_text(super().formatStack(stack_info), keep_newlines=True)
