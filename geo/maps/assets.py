"""Web assets without a CDN: where each Folium/branca/plugin file lives under static/vendor, a rewrite
of a Folium map's CDN links to those local URLs, and an inliner that makes one self-contained file.

The npm packages (pinned in package.json) are copied by scripts/vendor_assets.py using COPIES.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
from pathlib import Path

from branca.element import Element

from geo.maps.csp import InlineScripts
from geo.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"

# (path inside node_modules, path inside static/vendor): files or whole folders.
COPIES: tuple[tuple[str, str], ...] = (
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("leaflet.markercluster/dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster/dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    ("leaflet.markercluster/dist/MarkerCluster.Default.css", "markercluster/MarkerCluster.Default.css"),
    ("supercluster/dist/supercluster.min.js", "supercluster/supercluster.min.js"),
    ("leaflet.fullscreen/Control.FullScreen.js", "fullscreen/Control.FullScreen.js"),
    ("leaflet.fullscreen/Control.FullScreen.css", "fullscreen/Control.FullScreen.css"),
    ("leaflet.fullscreen/icon-fullscreen.svg", "fullscreen/icon-fullscreen.svg"),
    # Not leaflet-measure (Folium's MeasureControl): it compiles templates with new Function(),
    # which Pantau's Content-Security-Policy (no 'unsafe-eval') forbids.
    ("leaflet.polylinemeasure/Leaflet.PolylineMeasure.js", "polylinemeasure/Leaflet.PolylineMeasure.js"),
    ("leaflet.polylinemeasure/Leaflet.PolylineMeasure.css", "polylinemeasure/Leaflet.PolylineMeasure.css"),
    ("leaflet-minimap/dist/Control.MiniMap.min.js", "minimap/Control.MiniMap.min.js"),
    ("leaflet-minimap/dist/Control.MiniMap.min.css", "minimap/Control.MiniMap.min.css"),
    ("leaflet-minimap/dist/images", "minimap/images"),
    ("leaflet.heat/dist/leaflet-heat.js", "heat/leaflet-heat.js"),
    ("leaflet-search/dist/leaflet-search.min.js", "search/dist/leaflet-search.min.js"),
    ("leaflet-search/dist/leaflet-search.min.css", "search/dist/leaflet-search.min.css"),
    ("leaflet-search/images", "search/images"),
    ("jquery/dist/jquery.min.js", "jquery/jquery.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("@fortawesome/fontawesome-free/css/all.min.css", "fontawesome/css/all.min.css"),
    ("@fortawesome/fontawesome-free/webfonts", "fontawesome/webfonts"),
    ("drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.min.js", "awesome-markers/leaflet.awesome-markers.min.js"),
    ("drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css", "awesome-markers/leaflet.awesome-markers.css"),
    ("drmonty-leaflet-awesome-markers/css/images", "awesome-markers/images"),
    ("d3/d3.min.js", "d3/d3.min.js"),
    # The vector basemap (a local PMTiles file, geo/maps/basemap.py): one bundle with the pmtiles reader.
    ("protomaps-leaflet/dist/protomaps-leaflet.js", "protomaps-leaflet/protomaps-leaflet.js"),
    ("protomaps-leaflet/LICENSE", "protomaps-leaflet/LICENSE"),
    # /api/docs (Swagger UI) from this server, not a CDN.
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist/LICENSE", "swagger-ui/LICENSE"),
)

# Folium 0.20 / branca asset names → file under static/vendor. None = not needed, dropped.
BY_NAME: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap_css": "bootstrap/bootstrap.min.css",
    "glyphicons_css": None,  # Bootstrap 3 icons: nothing in Folium 0.20 uses them
    "awesome_markers": "awesome-markers/leaflet.awesome-markers.min.js",
    "awesome_markers_css": "awesome-markers/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "awesome_rotate_css": None,  # only for rotated awesome-marker icons, which Pantau does not draw
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "fullscreen/Control.FullScreen.css",
    "Control_MiniMap_js": "minimap/Control.MiniMap.min.js",
    "Control_MiniMap_css": "minimap/Control.MiniMap.min.css",
    "leaflet-heat.js": "heat/leaflet-heat.js",
    "Leaflet.Search.js": "search/dist/leaflet-search.min.js",
    "Leaflet.Search.css": "search/dist/leaflet-search.min.css",
    "d3": "d3/d3.min.js",
    "d3js": "d3/d3.min.js",
}

class AssetError(ValueError):
    """An asset with no local copy: the map would need the internet."""


def vendor_url(relative: str) -> str:
    return f"{VENDOR_URL}/{relative}"


def _local(name: str, url: str) -> str | None:
    if url.startswith(STATIC_URL + "/") or url.startswith("data:"):
        return url
    if name not in BY_NAME:
        raise AssetError(f"asset {name!r} ({url}) has no local copy in static/vendor; add it to geo.maps.assets")
    target = BY_NAME[name]
    return None if target is None else vendor_url(target)


def _walk(element: Element):
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def localize(element: Element, extra: dict[str, str] | None = None) -> Element:
    """Point every default_js/default_css of a Folium element tree at /static/vendor.

    Call before rendering. The lists are class attributes in Folium, so the rewrite is set per
    instance and never leaks into other maps. `extra` maps further asset names to vendor files.
    """
    names = {**BY_NAME, **(extra or {})}
    for el in _walk(element):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            rewritten = []
            for name, url in links:
                local = vendor_url(names[name]) if names.get(name) else _local(name, url)
                if local is not None:
                    rewritten.append((name, local))
            setattr(el, attr, rewritten)
    return element


# --- one self-contained file ---------------------------------------------------------------------
_SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"[^>]*>\s*</script>', re.I)
_CSS_LINK = re.compile(r'<link\b[^>]*\bhref="([^"]+)"[^>]*>', re.I)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
# Font Awesome lists woff2 then ttf; every browser that runs Leaflet reads woff2, so drop the ttf.
_TTF_FALLBACK = re.compile(r",\s*url\([^)]*\.ttf\)\s*format\([\"']truetype[\"']\)")


def _static_file(url: str, static_dir: Path) -> Path:
    if url.startswith(("http://", "https://", "//")):
        raise AssetError(f"external asset {url!r}: an offline file cannot load it")
    path = url.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith(STATIC_URL + "/"):
        raise AssetError(f"asset {url!r} is not under {STATIC_URL}/")
    file = (static_dir / path[len(STATIC_URL) + 1:]).resolve()
    if static_dir.resolve() not in file.parents or not file.is_file():
        raise AssetError(f"asset {url!r} not found in {static_dir} (run scripts/setup.sh)")
    return file


def _data_uri(file: Path) -> str:
    mime = mimetypes.guess_type(file.name)[0] or {
        ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml",
    }.get(file.suffix, "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()}"


def _inline_css(css: str, css_url: str, static_dir: Path) -> str:
    css = _TTF_FALLBACK.sub("", css)
    base = posixpath.dirname(css_url.split("?", 1)[0])

    def repl(match: re.Match) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(base, ref.split("?", 1)[0].split("#", 1)[0]))
        return f'url("{_data_uri(_static_file(target, static_dir))}")'

    return _CSS_URL.sub(repl, css)


def inline_assets(html: str, static_dir: Path = STATIC_DIR, scripts: InlineScripts | None = None) -> str:
    """Replace every <script src> and stylesheet <link> pointing at /static with the file's content
    (CSS images and fonts as data: URIs), so the page opens from file:// with no network.

    `scripts` collects the hash of each script inlined (for the file's Content-Security-Policy).
    Raises AssetError for assets that are external or missing: an offline file must not half-work.
    """

    def script(match: re.Match) -> str:
        js = _static_file(match.group(1), static_dir).read_text(encoding="utf-8")
        # As the HTML parser will see it (CR LF -> LF), so that its hash matches.
        js = js.replace("\r\n", "\n").replace("\r", "\n").replace("</script", "<\\/script")
        if scripts is not None:
            scripts.allow(js)
        return "<script>" + js + "</script>"

    def link(match: re.Match) -> str:
        tag = match.group(0)
        if not re.search(r'\brel="?stylesheet', tag, re.I):
            return tag
        url = match.group(1)
        css = _static_file(url, static_dir).read_text(encoding="utf-8")
        return "<style>" + _inline_css(css, url, static_dir).replace("</style", "<\\/style") + "</style>"

    return _CSS_LINK.sub(link, _SCRIPT_SRC.sub(script, html))
