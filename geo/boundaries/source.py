"""Copy (or download) a set's boundary files into Pantau's cache and verify their checksums.

Where files come from: the explicit source (PANTAU_BOUNDARIES_SOURCE or --source) alone when given;
otherwise the workspace mirror named in the manifest (relative to the project), then the manifest's
download base if it has one, each supplying the files the previous one lacked. A source is a folder
holding the set folders (../shared/boundaries), a set folder itself, or an http(s) base URL serving
<set folder>/<file> as direct downloads. When none has a file, the error names every place tried and
how to set PANTAU_BOUNDARIES_SOURCE (a first install offline, without the mirror, must not end
with a bare "cannot download").
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from pathlib import Path

from geo.boundaries.manifest import Layer, LayerSet, Manifest
from geo.settings import PROJECT_ROOT


class SourceError(RuntimeError):
    """A boundary file cannot be found or read from the configured source."""


class ChecksumMismatch(SourceError):
    """A file's content differs from the manifest: refuse it rather than load unknown data."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_sources(manifest: Manifest, explicit: str | None) -> list[tuple[str, str]]:
    """(folder or http(s) base URL, what names it) in the order they are tried. A missing workspace
    mirror stays in the list, so the message when nothing works says it was looked for."""
    if explicit:
        return [(explicit, "PANTAU_BOUNDARIES_SOURCE / --source")]
    found = []
    if manifest.default_source:
        found.append((str((PROJECT_ROOT / manifest.default_source).resolve()), "cermin ruang kerja (workspace mirror)"))
    if manifest.download_base:
        found.append((manifest.download_base, "download_base manifest"))
    return found


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _locate_local(root: Path, layer_set: LayerSet, layer: Layer) -> Path | None:
    for path in (root / layer_set.folder / layer.file, root / layer.file):
        if path.is_file():
            return path
    return None


def _download(url: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http(s) only, checked by the caller
            if response.headers.get_content_type() == "text/html":
                # A repository's web page (github.com/...), not the file: say so, not "checksum differs".
                raise SourceError(f"{url}: halaman HTML, bukan berkas (an HTML page, not a file download)")
            with target.open("wb") as out:
                shutil.copyfileobj(response, out)
    except OSError as exc:
        raise SourceError(f"{url}: tidak dapat diunduh (cannot download): {exc}") from exc


def _fetch_one(source: str, layer_set: LayerSet, layer: Layer, target: Path) -> None:
    """Copy or download one file to `target`, verified; SourceError when the source lacks it."""
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
    try:
        if _is_url(source):
            _download(f"{source.rstrip('/')}/{layer_set.folder}/{layer.file}", tmp_path)
        else:
            found = _locate_local(Path(source), layer_set, layer)
            if found is None:
                raise SourceError(f"{source}: {layer.file} tidak ada di {layer_set.folder}/ maupun di folder itu "
                                  f"sendiri ({layer.file} not found in {source}/{layer_set.folder}/ or {source}/)")
            shutil.copyfile(found, tmp_path)
        actual = sha256_of(tmp_path)
        if actual != layer.sha256:
            raise ChecksumMismatch(
                f"{layer.file} from {source} has SHA-256 {actual}, the manifest expects "
                f"{layer.sha256}: refusing to load a file that differs from the recorded source"
            )
        tmp_path.replace(target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _nothing_found(layer_set: LayerSet, tried: list[str]) -> SourceError:
    files = ", ".join(f"{layer_set.folder}/{layer.file}" for layer in layer_set.layers)
    first = f"{layer_set.folder}/{layer_set.layers[0].file}"
    places = "\n".join(f"  - {line}" for line in tried) or "  - (tidak ada sumber (no source configured))"
    return SourceError("\n".join((
        f"berkas batas wilayah '{layer_set.name}' tidak ditemukan (boundary files not found).",
        "Sudah dicari di (looked in):",
        places,
        f"Atur PANTAU_BOUNDARIES_SOURCE ke folder yang berisi {files}, atau ke URL http(s) yang menyajikan "
        f"<URL>/{first} dst. sebagai unduhan langsung, lalu ulangi",
        f"(set PANTAU_BOUNDARIES_SOURCE to a folder holding {files}, or to an http(s) base URL serving "
        f"<URL>/{first} etc. as direct downloads, then retry):",
        "  PANTAU_BOUNDARIES_SOURCE=/media/usb/batas make run",
        "  .venv/bin/pantau boundaries load --source FOLDER_ATAU_URL",
        "Berkas ini hasil konversi dump SQL cahyadsn/wilayah_boundaries dan tidak ada di repositori itu: salin dari "
        ".pantau/boundaries/ instalasi lain atau dari server berkas instansi (these files are converted from the "
        "upstream SQL dumps and are not in that repository: copy them from another installation's "
        ".pantau/boundaries/ or an agency file server); SHA-256 tiap berkas diperiksa (every file's SHA-256 is "
        "checked): data/boundaries/README.md.",
    )))


def fetch_set(manifest: Manifest, layer_set: LayerSet, cache_dir: Path, source: str | None) -> tuple[str, dict[str, Path]]:
    """Return (source used, {level: verified file in the cache}). Files already in the cache with
    the right checksum are kept; the others come from the first source, in candidate order, that
    has them. A file whose checksum differs is refused at once (ChecksumMismatch)."""
    target_dir = cache_dir / layer_set.folder
    target_dir.mkdir(parents=True, exist_ok=True)
    files = {layer.level: target_dir / layer.file for layer in layer_set.layers}
    missing = [layer for layer in layer_set.layers
               if not (files[layer.level].is_file() and sha256_of(files[layer.level]) == layer.sha256)]
    if not missing:
        return str(target_dir), files
    tried: list[str] = []
    used = ""
    for src, origin in candidate_sources(manifest, source):
        if not _is_url(src) and not Path(src).is_dir():
            tried.append(f"{src} [{origin}]: folder tidak ada (no such folder)")
            continue
        fetched: list[Layer] = []
        for layer in missing:
            try:
                _fetch_one(src, layer_set, layer, files[layer.level])
            except ChecksumMismatch:
                raise
            except SourceError as exc:
                tried.append(f"{exc} [{origin}]")  # one line per source: the first file it lacks
                if _is_url(src):
                    break  # e.g. unreachable: do not wait for it once per file
                continue
            fetched.append(layer)
            used = src
        missing = [layer for layer in missing if layer not in fetched]
        if not missing:
            return used, files
    raise _nothing_found(layer_set, tried)
