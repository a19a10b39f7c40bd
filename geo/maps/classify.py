"""Classing a measure for a choropleth, and saying in Indonesian how it was done.

One scheme for the web maps, the PDF atlas and the offline HTML report, so the same data gets the
same classes, breaks and colours on screen and on paper:
- zero gets its own grey class (a region with nothing is not "low");
- counts of persons: 1 up to the suppression threshold (default 3) form one class of their own,
  the values a published report prints as "<3"; and a count the report hides by the secondary rule
  (geo.reports.suppress) is left out of the breaks, so no break can give a hidden value away. The
  screen, which shows every count, computes the breaks the same way, so both agree;
- the remaining positive values: at most 5 distinct values one class each (nilai unik); 8 or more
  values with more distinct ones natural breaks (Fisher-Jenks), 5 classes; otherwise equal
  intervals, 4 classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import jenkspy  # Fisher-Jenks in C; mapclassify loads scipy and scikit-learn in every report process (bench/RESULTS-reports.md)
import numpy as np

from geo.formatting import number
from geo.reports.suppress import hidden_indices, is_hidden

# ColorBrewer YlOrRd, light to dark; zero is grey, the small counts near-white cream (below the lightest).
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ZERO_COLOR = "#e4e4e4"
SMALL_COLOR = "#fffbe8"
MAX_CLASSES = 5
SMALL_BELOW = 3  # the default suppression threshold of reports (geo.reports.content.Options)


@dataclass(frozen=True)
class Bin:
    lower: int
    upper: int
    color: str
    count: int  # regions in the class
    small: bool = False  # the class of counts below the suppression threshold ("<3" in reports)

    @property
    def label(self) -> str:
        return number(self.lower) if self.lower == self.upper else f"{number(self.lower)}–{number(self.upper)}"


@dataclass(frozen=True)
class Classification:
    method: str  # human text, Indonesian
    bins: tuple[Bin, ...]

    def color(self, value) -> str:
        """The fill of a value: a count, or a published cell ("<3": the small class)."""
        if is_hidden(value):
            return SMALL_COLOR
        if not value:
            return ZERO_COLOR
        for b in self.bins:
            if b.lower <= value <= b.upper:
                return b.color
        # Above the top class: a count the breaks left out (hidden in reports by the secondary rule).
        classed = [b for b in self.bins if b.lower > 0 and not b.small]
        return classed[-1].color if classed else (self.bins[-1].color if self.bins else ZERO_COLOR)

    def summary(self) -> str:
        """The method and every class on one line, as the reports print it under a map and in the
        XLSX notes: 'natural breaks (Fisher-Jenks), 5 kelas; 1–2 satu kelas: 0 · 1–2 · 5–12 · ...'."""
        return f"{self.method}: {' · '.join(b.label for b in self.bins)}"

    @property
    def breaks(self) -> tuple[tuple[int, int], ...]:
        """(lower, upper) of every class, zero and small classes included: what the legends print."""
        return tuple((b.lower, b.upper) for b in self.bins)


def classify(values: list, small_below: int | None = None) -> Classification:
    """Classes for the values of the regions drawn on one map (ints, or published cells where "<3"
    marks a hidden count). `small_below`: for counts of persons, the suppression threshold: values
    1..small_below-1 form the small class and counts the secondary rule would hide are left out of
    the breaks; None for other measures (companies)."""
    zeros = sum(1 for v in values if not is_hidden(v) and not v)
    bins: list[Bin] = [Bin(0, 0, ZERO_COLOR, zeros)] if zeros else []
    counts = [v if isinstance(v, int | float) and not is_hidden(v) else 0 for v in values]
    if small_below:
        left_out = hidden_indices([int(v) for v in counts], small_below)
        small = sum(1 for i, v in enumerate(values) if is_hidden(v) or 0 < counts[i] < small_below)
        if small:
            bins.append(Bin(1, small_below - 1, SMALL_COLOR, small, small=True))
        positive = np.array([v for i, v in enumerate(counts) if v >= small_below and i not in left_out], dtype=float)
    else:
        positive = np.array([v for v in counts if v > 0], dtype=float)
    note = f"; 1–{small_below - 1} satu kelas" if small_below else ""
    if positive.size == 0:
        only_small = any(b.small for b in bins)
        return Classification(f"hanya nilai 1–{small_below - 1}" if only_small else "semua wilayah bernilai 0",
                              tuple(bins))
    distinct = np.unique(positive)
    if distinct.size <= MAX_CLASSES:
        method = "nilai unik (setiap nilai satu kelas)"
        uppers = distinct
    elif positive.size >= 8:
        method = f"natural breaks (Fisher-Jenks), {MAX_CLASSES} kelas"
        uppers = np.asarray(jenkspy.jenks_breaks(positive, n_classes=MAX_CLASSES)[1:])  # upper bounds
    else:
        method = "interval sama (equal interval), 4 kelas"
        lo, hi = positive.min(), positive.max()
        uppers = np.append(lo + (hi - lo) / 4 * np.arange(1, 4), hi)
    method += note
    palette = _spread(len(uppers))
    if distinct.size <= MAX_CLASSES:
        n_of = [int((positive == v).sum()) for v in distinct]
        bins += [Bin(int(v), int(v), palette[i], n_of[i]) for i, v in enumerate(distinct)]
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


def classify_report(values: list, threshold: int | None) -> Classification:
    """The classes of a report map of counts of persons: its published values (hidden ones "<3")
    under the report's suppression threshold; with the default threshold, or none, the breaks of
    the web map of the same data."""
    return classify(values, max(SMALL_BELOW, threshold or 0))


def _spread(k: int) -> tuple[str, ...]:
    """k colours from the palette, spread from light to dark."""
    if k >= len(PALETTE):
        return PALETTE[:k] if k == len(PALETTE) else PALETTE + (PALETTE[-1],) * (k - len(PALETTE))
    idx = np.linspace(0, len(PALETTE) - 1, k).round().astype(int)
    return tuple(PALETTE[i] for i in idx)
