"""Small-count suppression for reports that leave the building (UU 27/2022).

Rule (documented in docs/reports.md and stated in every report):
1. Primary: a count of workers that is at least 1 and below the threshold (default 3) is shown as
   "<3" instead of its value. Zero stays 0 (an empty cell discloses nobody).
2. Secondary: in a group of cells that adds up to a published total (the categories of one row,
   e.g. nationalities of one district, or the districts of one regency) a single suppressed cell
   could be recovered by subtraction; then the smallest other non-zero cell of the group is
   suppressed too.
Counts of companies are not personal data and are never suppressed.
"""

from __future__ import annotations

from geo.formatting import number

Cell = int | str  # a published count: the number, or the text "<3" when hidden


def mark(threshold: int) -> str:
    return f"<{threshold}"


def is_hidden(value) -> bool:
    return isinstance(value, str) and value.startswith("<")


def hidden_indices(values: list[int], threshold: int) -> set[int]:
    """Which cells of one additive group to hide (primary, then the simple secondary rule)."""
    hide = {i for i, v in enumerate(values) if 0 < v < threshold}
    if len(hide) == 1:
        others = [(v, i) for i, v in enumerate(values) if i not in hide and v > 0]
        if others:
            hide.add(min(others)[1])
    return hide


def protect_group(values: list[int], threshold: int | None) -> list[Cell]:
    """The group's values with the hidden ones replaced; threshold None = no suppression."""
    if not threshold:
        return list(values)
    hide = hidden_indices(values, threshold)
    return [mark(threshold) if i in hide else v for i, v in enumerate(values)]


def protect_mapping(counts: dict[str, int], threshold: int | None) -> dict[str, Cell]:
    keys = sorted(counts)
    return dict(zip(keys, protect_group([counts[k] for k in keys], threshold), strict=True))


def protect_one(value: int, threshold: int | None) -> Cell:
    """A single published count with no group around it."""
    if threshold and 0 < value < threshold:
        return mark(threshold)
    return value


def show(value) -> str:
    """Text for a table cell: '1.234', '<3', 'ya'."""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int):
        return number(value)
    return "" if value is None else str(value)
