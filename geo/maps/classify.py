"""Classing a measure for a choropleth with mapclassify, and saying in Indonesian how it was done.

Counts per region are small integers with many zeros; zero gets its own grey class (a region
with nothing is not "low"), the positive values are classed:
- at most 5 distinct values: one class per value (nilai unik);
- enough regions for natural breaks (>= 8 and > 5 distinct values): Fisher-Jenks, 5 classes;
- otherwise: equal intervals, 4 classes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is fast enough here
    warnings.simplefilter("ignore")
    import mapclassify

# ColorBrewer YlOrRd, light to dark; zero is grey.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ZERO_COLOR = "#e4e4e4"
MAX_CLASSES = 5


@dataclass(frozen=True)
class Bin:
    lower: int
    upper: int
    color: str
    count: int  # regions in the class

    @property
    def label(self) -> str:
        return f"{self.lower:,}".replace(",", ".") if self.lower == self.upper else (
            f"{self.lower:,}–{self.upper:,}".replace(",", ".")
        )


@dataclass(frozen=True)
class Classification:
    method: str  # human text, Indonesian
    bins: tuple[Bin, ...]

    def color(self, value: int | float | None) -> str:
        if not value:
            return ZERO_COLOR
        for b in self.bins:
            if b.lower <= value <= b.upper:
                return b.color
        return self.bins[-1].color if self.bins else ZERO_COLOR


def classify(values: list[int]) -> Classification:
    positive = np.array([v for v in values if v and v > 0], dtype=float)
    zeros = sum(1 for v in values if not v)
    bins: list[Bin] = [Bin(0, 0, ZERO_COLOR, zeros)] if zeros else []
    if positive.size == 0:
        return Classification("semua wilayah bernilai 0", tuple(bins))
    distinct = np.unique(positive)
    if distinct.size <= MAX_CLASSES:
        method = "nilai unik (setiap nilai satu kelas)"
        uppers = distinct
    elif positive.size >= 8:
        method = f"natural breaks (Fisher-Jenks), {MAX_CLASSES} kelas"
        with warnings.catch_warnings():  # "Numba not installed", at every call
            warnings.simplefilter("ignore")
            uppers = np.asarray(mapclassify.FisherJenks(positive, k=MAX_CLASSES).bins)
    else:
        method = "interval sama (equal interval), 4 kelas"
        uppers = np.asarray(mapclassify.EqualInterval(positive, k=4).bins)
    palette = _spread(len(uppers))
    if distinct.size <= MAX_CLASSES:
        counts = [int((positive == v).sum()) for v in distinct]
        bins += [Bin(int(v), int(v), palette[i], counts[i]) for i, v in enumerate(distinct)]
        return Classification(method, tuple(bins))
    lower = int(positive.min())
    for i, up in enumerate(uppers):
        upper = int(np.floor(up)) if i < len(uppers) - 1 else int(positive.max())
        if upper < lower:  # an equal-interval class with no integer inside it
            continue
        n = int(((positive >= lower) & (positive <= upper)).sum())
        bins.append(Bin(lower, upper, palette[i], n))
        lower = upper + 1
    return Classification(method, tuple(bins))


def _spread(k: int) -> tuple[str, ...]:
    """k colours from the palette, spread from light to dark."""
    if k >= len(PALETTE):
        return PALETTE[:k] if k == len(PALETTE) else PALETTE + (PALETTE[-1],) * (k - len(PALETTE))
    idx = np.linspace(0, len(PALETTE) - 1, k).round().astype(int)
    return tuple(PALETTE[i] for i in idx)
