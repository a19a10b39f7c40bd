"""Copy (or download) a set's boundary files into Pantau's cache and verify their checksums.

Resolution order for where files come from: the explicit source (PANTAU_BOUNDARIES_SOURCE), the
workspace mirror named in the manifest (relative to the project), then the manifest's download base.
A source may be the folder holding the set folders (../shared/boundaries) or a set folder itself.
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


def candidate_sources(manifest: Manifest, explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    found = []
    if manifest.default_source:
        mirror = (PROJECT_ROOT / manifest.default_source).resolve()
        if mirror.is_dir():
            found.append(str(mirror))
    if manifest.download_base:
        found.append(manifest.download_base)
    return found


def _locate_local(root: Path, layer_set: LayerSet, layer: Layer) -> Path | None:
    for path in (root / layer_set.folder / layer.file, root / layer.file):
        if path.is_file():
            return path
    return None


def _download(url: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except OSError as exc:
        raise SourceError(f"cannot download {url}: {exc}") from exc


def fetch_set(manifest: Manifest, layer_set: LayerSet, cache_dir: Path, source: str | None) -> tuple[str, dict[str, Path]]:
    """Return (source used, {level: verified file in the cache})."""
    sources = candidate_sources(manifest, source)
    if not sources:
        raise SourceError(
            "no boundary source: set PANTAU_BOUNDARIES_SOURCE to a folder or URL holding "
            f"{layer_set.folder}/{layer_set.layers[0].file} and the other files of the manifest"
        )
    src = sources[0]
    target_dir = cache_dir / layer_set.folder
    target_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for layer in layer_set.layers:
        target = target_dir / layer.file
        if not (target.is_file() and sha256_of(target) == layer.sha256):
            with tempfile.NamedTemporaryFile(dir=target_dir, delete=False, suffix=".part") as tmp:
                tmp_path = Path(tmp.name)
            try:
                if src.startswith(("http://", "https://")):
                    _download(f"{src.rstrip('/')}/{layer_set.folder}/{layer.file}", tmp_path)
                else:
                    found = _locate_local(Path(src), layer_set, layer)
                    if found is None:
                        raise SourceError(
                            f"{layer.file} ({layer.level}) not found in {src} "
                            f"(looked in {src}/{layer_set.folder}/ and {src}/)"
                        )
                    shutil.copyfile(found, tmp_path)
                actual = sha256_of(tmp_path)
                if actual != layer.sha256:
                    raise ChecksumMismatch(
                        f"{layer.file} from {src} has SHA-256 {actual}, the manifest expects "
                        f"{layer.sha256}: refusing to load a file that differs from the recorded source"
                    )
                tmp_path.replace(target)
            finally:
                tmp_path.unlink(missing_ok=True)
        files[layer.level] = target
    return src, files
