"""Tile URL templates of the optional base maps (settings `PANTAU_BASEMAP_TILES_URL`,
`PANTAU_SATELLITE_URL`): checked so that one cannot add a directive to the pages'
Content-Security-Policy, and the origin a browser loads their images from."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A tile server's host as it may stand in a Content-Security-Policy source: letters, digits, dots,
# dashes, an optional port, and Leaflet's "{s}." subdomain placeholder (written "*." in the policy).
_HOST = re.compile(r"^(\{s\}\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


def tile_template(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if any(ch.isspace() or ch in "\"'`<>\\" for ch in value):
        raise ValueError(f"{name}: spaces, quotes, '<', '>' and backslashes are not allowed in a tile URL")
    if not all(p in value for p in ("{z}", "{x}")) or not ("{y}" in value or "{-y}" in value):
        raise ValueError(f"{name}: a tile URL template needs {{z}}, {{x}} and {{y}}, e.g. https://tiles.example.go.id/{{z}}/{{x}}/{{y}}.png")
    if value.startswith("/") and not value.startswith("//"):
        return value  # a path on this server (e.g. a tile server behind the same reverse proxy)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc):
        raise ValueError(f"{name}: expected http(s)://host[:port]/...{{z}}/{{x}}/{{y}}... or a path starting with '/'")
    return value


def tile_origin(template: str) -> str | None:
    """The origin a browser loads a tile template's images from, as a CSP source (None: this server)."""
    if not template or template.startswith("/"):
        return None
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"
