"""Administrative boundaries: the manifest of sources, fetching with checksum checks, loading."""

from geo.boundaries.loader import BoundaryLoadError, LoadReport, load_set
from geo.boundaries.manifest import Layer, LayerSet, Manifest
from geo.boundaries.source import ChecksumMismatch, SourceError, fetch_set

__all__ = [
    "BoundaryLoadError",
    "ChecksumMismatch",
    "Layer",
    "LayerSet",
    "LoadReport",
    "Manifest",
    "SourceError",
    "fetch_set",
    "load_set",
]
