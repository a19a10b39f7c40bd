"""data/boundaries/manifest.json: which boundary files exist, their level, size and checksum."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("province", "regency", "district", "village")


@dataclass(frozen=True)
class Layer:
    level: str
    file: str
    sha256: str
    features: int
    # The upstream SQL dumps (paths in its repository) this GeoJSON was converted from: provenance,
    # and what to fetch when converting a new release. The upstream publishes no GeoJSON.
    converted_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSet:
    name: str
    folder: str
    scope: str | None  # province code the set covers, None = the whole country
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Manifest:
    path: Path
    default_source: str
    download_base: str | None  # an http(s) base serving <set folder>/<file>; None: no public copy
    attribution: str
    licence: str
    sets: dict[str, LayerSet]
    raw_base: str | None = None  # direct downloads of the upstream repository's files, at a fixed ref

    @classmethod
    def read(cls, path: Path) -> Manifest:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        sets = {}
        for name, spec in raw["sets"].items():
            layers = tuple(Layer(**{**layer, "converted_from": tuple(layer.get("converted_from", ()))})
                           for layer in spec["layers"])
            for layer in layers:
                if layer.level not in LEVELS:
                    raise ValueError(f"manifest {path}: set {name!r} has unknown level {layer.level!r}")
            # Parents before children, so hierarchy checks see the parents of this load.
            layers = tuple(sorted(layers, key=lambda layer: LEVELS.index(layer.level)))
            sets[name] = LayerSet(name, spec["folder"], spec.get("scope"), layers)
        return cls(
            path=Path(path),
            default_source=raw.get("default_source", ""),
            download_base=raw.get("download_base"),
            attribution=raw["upstream"]["attribution"],
            licence=raw["upstream"]["licence"],
            sets=sets,
            raw_base=raw["upstream"].get("raw_base"),
        )

    def upstream_urls(self, layer: Layer) -> list[str]:
        """Direct download URLs of the upstream files `layer` was converted from."""
        return [self.raw_base + path for path in layer.converted_from] if self.raw_base else []

    def layer_set(self, name: str) -> LayerSet:
        try:
            return self.sets[name]
        except KeyError:
            raise ValueError(
                f"unknown boundary set {name!r}; the manifest has: {', '.join(sorted(self.sets))}"
            ) from None
