"""Inline scripts allowed by hash: a page (or the offline report) lists the sha256 of each inline
<script> it writes in its Content-Security-Policy, so the browser runs exactly those and refuses any
script or event handler that data might smuggle in. Hashes, not nonces: a page built once can be
served from a cache or saved to disk and its policy still holds."""

from __future__ import annotations

import base64
import hashlib

# Text that would end a <script> element early or switch the HTML parser into its "escaped" states;
# js_literal and Folium's tojson write neither (they escape "<").
_BREAKOUT = ("</script", "<script", "<!--")


def _breaks_out(source: str) -> bool:
    # Only at each "<" (rare in a map's script: its data escapes them), not a case-insensitive
    # regex over the whole text (several ms for a district's boundaries).
    i = source.find("<")
    while i != -1:
        if source[i:i + 8].lower().startswith(_BREAKOUT):
            return True
        i = source.find("<", i + 1)
    return False


class UnsafeInlineScript(ValueError):
    """An inline script whose text would not stay inside its <script> element."""


def script_hash(source: str) -> str:
    """The CSP source expression for an inline script with exactly this text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def script_element(source: str) -> str:
    """`<script>source</script>`, refusing text that could break out of the element."""
    if _breaks_out(source):
        raise UnsafeInlineScript("inline script contains '</script', '<script' or '<!--'")
    return f"<script>{source}</script>"


class InlineScripts:
    """Collects the inline scripts of one document as they are written, with their hashes."""

    def __init__(self) -> None:
        self.hashes: list[str] = []

    def element(self, source: str) -> str:
        """The <script> element for `source` (checked, see script_element), allowed by its hash."""
        if "\r" in source:  # as the HTML parser will see it
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        tag = script_element(source)
        self.allow(source)
        return tag

    def allow(self, source: str) -> None:
        """Allow a script the caller writes itself (e.g. a library file, already made safe)."""
        digest = script_hash(source)
        if digest not in self.hashes:
            self.hashes.append(digest)
