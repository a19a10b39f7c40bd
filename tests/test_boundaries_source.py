"""Where boundary files come from on a first install: every place tried is named when none works,
with how to set PANTAU_BOUNDARIES_SOURCE; sources are tried in order; a web page is not a file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from geo.boundaries import SourceError, fetch_set
from geo.boundaries.source import sha256_of
from geo.settings import PROJECT_ROOT
from tests.conftest import free_port


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


class _HtmlOnly(_Quiet):
    """What a repository's web page answers for a path: an HTML page, status 200."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<!DOCTYPE html><html><body>GitHub</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def serve():
    servers = []

    def start(handler) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def mirror_of(kalteng_files: dict[str, Path], root: Path, skip: str | None = None) -> Path:
    (root / "kalteng").mkdir(parents=True)
    for level, path in kalteng_files.items():
        if level != skip:
            shutil.copy(path, root / "kalteng" / Path(path).name)
    return root


def test_nothing_found_names_every_place_and_the_setting(manifest, tmp_path):
    """Before: "cannot download https://github.com/.../kalteng/province.geojson" and nothing else."""
    missing = tmp_path / "no-mirror"
    url = f"http://127.0.0.1:{free_port()}/batas"  # nothing listens there
    offline = replace(manifest, default_source=str(missing), download_base=url)
    with pytest.raises(SourceError) as info:
        fetch_set(offline, offline.layer_set("kalteng"), tmp_path / "cache", None)
    message = str(info.value)
    assert str(missing) in message and "folder tidak ada (no such folder)" in message
    assert f"{url}/kalteng/province.geojson" in message and "tidak dapat diunduh (cannot download)" in message
    assert "PANTAU_BOUNDARIES_SOURCE" in message and "--source" in message
    assert "kalteng/province.geojson" in message and "villages.geojson" in message
    assert "tidak ditemukan" in message and "not found" in message  # Indonesian, English in brackets


def test_an_explicit_source_that_is_missing_is_named(manifest, tmp_path):
    missing = tmp_path / "usb" / "batas"
    with pytest.raises(SourceError) as info:
        fetch_set(manifest, manifest.layer_set("kalteng"), tmp_path / "cache", str(missing))
    assert str(missing) in str(info.value) and "PANTAU_BOUNDARIES_SOURCE" in str(info.value)


def test_sources_are_tried_in_order(manifest, kalteng_files, tmp_path, serve):
    """A mirror lacking one file no longer stops the set-up: the next source gives it."""
    partial_mirror = mirror_of(kalteng_files, tmp_path / "mirror", skip="village")
    served = mirror_of(kalteng_files, tmp_path / "www")
    url = serve(partial(_Quiet, directory=str(served)))
    both = replace(manifest, default_source=str(partial_mirror), download_base=url)
    used, files = fetch_set(both, both.layer_set("kalteng"), tmp_path / "cache", None)
    assert used == url
    for layer in both.layer_set("kalteng").layers:
        assert sha256_of(files[layer.level]) == layer.sha256


def test_a_web_page_is_not_taken_for_the_file(manifest, tmp_path, serve):
    url = serve(_HtmlOnly)
    with pytest.raises(SourceError) as info:
        fetch_set(manifest, manifest.layer_set("kalteng"), tmp_path / "cache", url)
    message = str(info.value)
    assert f"{url}/kalteng/province.geojson" in message
    assert "HTML" in message and "has SHA-256" not in message  # not a checksum mismatch


def test_the_manifest_links_only_direct_downloads(manifest):
    """The upstream publishes SQL dumps (db/...), not the GeoJSON Pantau loads: the manifest names the
    dumps each file was converted from by their raw URL, and no page-like URL is used for downloads."""
    raw = json.loads(manifest.path.read_text(encoding="utf-8"))
    assert raw["download_base"] is None
    base = raw["upstream"]["raw_base"]
    assert base.startswith("https://raw.githubusercontent.com/cahyadsn/wilayah_boundaries/") and base.endswith("/")
    for spec in raw["sets"].values():
        for layer in spec["layers"]:
            assert layer["converted_from"], layer["file"]
            assert all(p.startswith("db/") and p.endswith(".sql") for p in layer["converted_from"])
    kalteng = {layer.level: layer for layer in manifest.layer_set("kalteng").layers}
    assert kalteng["village"].converted_from[0] == "db/kel/62/wilayah_boundaries_kel_62.01.sql"
    assert manifest.upstream_urls(kalteng["regency"]) == [base + "db/kab/wilayah_boundaries_kab_62.sql"]


@pytest.mark.slow  # `pantau boundaries load` in a subprocess
def test_first_install_without_a_mirror_tells_the_operator_what_to_do(tmp_path):
    """`pantau boundaries load` (what `make run` does) on a machine without ../shared and offline."""
    raw = json.loads((PROJECT_ROOT / "data" / "boundaries" / "manifest.json").read_text(encoding="utf-8"))
    raw["default_source"] = str(tmp_path / "shared" / "boundaries")
    raw["download_base"] = f"http://127.0.0.1:{free_port()}/batas"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(raw), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_BOUNDARIES_")}
    env.update(PANTAU_BOUNDARIES_MANIFEST=str(manifest), PANTAU_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "geo.cli", "boundaries", "load"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert str(tmp_path / "shared" / "boundaries") in done.stderr
    assert raw["download_base"] in done.stderr and "PANTAU_BOUNDARIES_SOURCE" in done.stderr
    assert not (tmp_path / "home" / "pg").exists()  # it stopped before starting a database
