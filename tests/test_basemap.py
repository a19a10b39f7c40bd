"""Base maps (#15 item 11) over HTTP: the local PMTiles file is served in pieces (Range) to signed-in
users only; a configured tile server's origin is allowed for images and nothing else; a tile URL
that would smuggle directives into the Content-Security-Policy, and HTML in an attribution, are
refused or escaped. The browser side: tests/browser/test_basemap_browser.py."""

from __future__ import annotations

import gzip

import httpx
import mapbox_vector_tile
import pytest
from pmtiles.reader import Reader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write
from pydantic import ValidationError

from geo.maps.basemap import base_layers, pmtiles_info
from geo.settings import MapSettings
from tests.basemap_pmtiles import make_basemap
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow  # servers of its own, one per setting

TILES = "https://{s}.tile.example.go.id/{z}/{x}/{y}.png"
ATTRIBUTION = '<script>alert(1)</script>Dinas Peta "Kalteng"'


@pytest.fixture(scope="module")
def pmtiles_file(tmp_path_factory):
    return make_basemap(tmp_path_factory.mktemp("basemap") / "kalteng.pmtiles", max_zoom=8)


@pytest.fixture(scope="module")
def server(db_url, pmtiles_file):
    s = LiveServer(db_url, {"PANTAU_BASEMAP_PMTILES": str(pmtiles_file), "PANTAU_BASEMAP_TILES_URL": TILES,
                            "PANTAU_BASEMAP_ATTRIBUTION": ATTRIBUTION})
    yield s
    s.stop()


def bearer(base: str, make_user, role: str = "viewer", regencies=None) -> dict:
    username, password = make_user(role, regencies)
    r = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_basemap_file_is_read_in_pieces_by_signed_in_users_only(server, make_user, pmtiles_file):
    url = f"{server.base}/maps/basemap.pmtiles"
    data = pmtiles_file.read_bytes()
    anonymous = httpx.get(url, headers={"Range": "bytes=0-126"})
    assert anonymous.status_code == 401 and b"PMTiles" not in anonymous.content

    # Any role and scope: the basemap is public map data, nothing of the monitoring.
    headers = bearer(server.base, make_user, "viewer", ["62.02"])
    r = httpx.get(url, headers={**headers, "Range": "bytes=0-126"})
    assert r.status_code == 206, r.text
    assert r.content == data[:127]
    assert r.headers["content-range"] == f"bytes 0-126/{len(data)}"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["cache-control"].startswith("private")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert httpx.get(url, headers={**headers, "Range": f"bytes={len(data) + 10}-"}).status_code == 416
    whole = httpx.get(url, headers=headers)
    assert whole.status_code == 200 and whole.content == data

    # A PMTiles reader over HTTP finds the Kahayan in a tile of Palangka Raya.
    def get_bytes(offset: int, length: int) -> bytes:
        piece = httpx.get(url, headers={**headers, "Range": f"bytes={offset}-{offset + length - 1}"})
        assert piece.status_code == 206
        return piece.content

    tile = mapbox_vector_tile.decode(gzip.decompress(Reader(get_bytes).get(8, 209, 129)))
    assert "Sungai Kahayan" in {f["properties"].get("name") for f in tile["water"]["features"]}


def test_without_a_basemap_file_the_route_is_404(live_server, auth_headers):
    r = httpx.get(f"{live_server.base}/maps/basemap.pmtiles", headers={**auth_headers("admin"), "Range": "bytes=0-99"})
    assert r.status_code == 404
    assert "tidak dikonfigurasi" in r.json()["description"]


def test_map_page_allows_images_from_the_tile_server_only_and_escapes_its_credit(server, make_user):
    r = httpx.get(f"{server.base}/maps/province", headers=bearer(server.base, make_user, "analyst"))
    assert r.status_code == 200
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["img-src"].split() == ["'self'", "data:", "blob:", "https://*.tile.example.go.id"]
    assert "'unsafe-inline'" not in csp["script-src"] and "tile.example" not in csp["script-src"]
    assert csp["connect-src"] == "'self'" and csp["default-src"] == "'self'"
    # The credit reaches the page HTML-escaped (Leaflet writes attributions as HTML), inside the
    # set-up script's JSON ("&" as \u0026).
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;Dinas Peta \\u0026quot;Kalteng" in r.text
    assert "<script>alert(1)" not in r.text and "\\u003cscript" not in r.text


def test_a_setting_naming_another_file_publishes_nothing(db_url, make_user, tmp_path):
    """A PANTAU_BASEMAP_PMTILES mistakenly naming another file (here a secret) is neither offered
    nor served: only a vector PMTiles file is."""
    secret = tmp_path / "secret_key"
    secret.write_text("PANTAU_SECRET_KEY=not-for-the-map-readers-0123456789" * 10)
    server = LiveServer(db_url, {"PANTAU_BASEMAP_PMTILES": str(secret)})
    try:
        headers = bearer(server.base, make_user, "admin")
        r = httpx.get(f"{server.base}/maps/basemap.pmtiles", headers={**headers, "Range": "bytes=0-99"})
        assert r.status_code == 404 and b"not-for-the-map" not in r.content
        page = httpx.get(f"{server.base}/maps/province", headers=headers)
        assert page.status_code == 200 and "PantauBasemap" not in page.text
    finally:
        server.stop()


def test_only_vector_pmtiles_files_are_offered(tmp_path, pmtiles_file):
    settings = MapSettings(basemap_pmtiles=pmtiles_file)
    assert [o["id"] for o in base_layers(settings)] == ["none", "pmtiles"]
    assert base_layers(settings)[1]["maxDataZoom"] == 8
    raster = tmp_path / "raster.pmtiles"
    with write(str(raster)) as w:
        w.write_tile(zxy_to_tileid(0, 0, 0), b"\x89PNG not really")
        w.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE}, {})
    for path in (raster, tmp_path / "missing.pmtiles", tmp_path / "raster.pmtiles.txt"):
        if path.suffix == ".txt":
            path.write_text("PMTiles? no")
        assert pmtiles_info(path) is None
        assert base_layers(MapSettings(basemap_pmtiles=path)) == []
    assert base_layers(MapSettings(basemap_pmtiles=None, basemap_tiles_url="", satellite_url="")) == []
    both = base_layers(MapSettings(basemap_tiles_url=TILES, satellite_url="https://citra.example.go.id/{z}/{y}/{x}.jpg",
                                   satellite_attribution="<b>LAPAN</b>"))
    assert [(o["id"], o["label"]) for o in both] == [
        ("none", "Tanpa peta dasar"), ("tiles", "Peta dasar (server ubin)"), ("satellite", "Citra satelit")]
    assert both[2]["attribution"] == "&lt;b&gt;LAPAN&lt;/b&gt;"


@pytest.mark.parametrize("value", [
    "https://tiles.example.go.id/{z}/{x}/{y}.png; script-src 'unsafe-inline'",
    "https://tiles.example.go.id;script-src:*/{z}/{x}/{y}.png",
    "https://tiles.example.go.id'/{z}/{x}/{y}.png",
    "javascript:alert(1)//{z}/{x}/{y}",
    "//evil.example/{z}/{x}/{y}.png",
    "ftp://tiles.example.go.id/{z}/{x}/{y}.png",
    "https://tiles.example.go.id/peta.png",
])
def test_a_tile_url_that_could_widen_the_policy_is_refused(value):
    with pytest.raises(ValidationError, match="PANTAU_BASEMAP_TILES_URL"):
        MapSettings(basemap_tiles_url=value)


def test_tile_origins_for_the_policy():
    assert MapSettings(basemap_tiles_url="").tile_origins() == []
    assert MapSettings(basemap_tiles_url="/ubin/{z}/{x}/{y}.png").tile_origins() == []  # this server
    assert MapSettings(basemap_tiles_url="http://10.20.0.5:8080/tiles/{z}/{x}/{-y}.png",
                       satellite_url="https://{s}.citra.example.go.id/{z}/{y}/{x}.jpg").tile_origins() == [
        "http://10.20.0.5:8080", "https://*.citra.example.go.id"]


def test_server_refuses_to_start_with_a_hostile_tile_url(db_url):
    with pytest.raises(RuntimeError, match="exited"):
        LiveServer(db_url, {"PANTAU_BASEMAP_TILES_URL": "https://x.example/{z}/{x}/{y}.png; script-src *"})
