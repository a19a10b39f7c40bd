"""Log lines a reader can trust: nothing a client sends can start a line of its own or drive the
terminal of whoever reads the log."""

from __future__ import annotations

import logging
import re


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Control characters (CR, LF, ESC ...), line and paragraph separators and other invisible
    characters as backslash escapes (\\x0a, \\u2028): a value taken from a request (a decoded URL
    path: %0a is a line feed) stays on its log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


# A one-time password link (/reset/{token}, api/web/admin_reset.py) is a credential: its token never
# reaches a log line.
_SECRET_PATH = re.compile(r"^(/reset/)[^/]+")


def loggable_path(path: str) -> str:
    """A request path as the logs print it: secrets cut, control characters escaped."""
    return printable(_SECRET_PATH.sub(r"\1***", path))


class LineSafeFormatter(logging.Formatter):
    """Every line after a record's first (a traceback, a multi-line message) is indented and escaped,
    so no record can write a line that looks like the start of another record."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if text.isprintable():
            return text
        return "\n    ".join(printable(line) for line in text.splitlines())
