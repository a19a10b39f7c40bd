"""Small counts of foreign nationals hidden for roles without personal access (UU 27/2022).

The statistics API applies the rule of the reports and the map (geo.reports.suppress, threshold
geo.maps.classify.SMALL_BELOW) to the counts of persons among the foreign nationals, so that the
API cannot undo the map's suppression:

- a count of 1 to 2 persons is published as the reports' text "<3" (0 stays 0);
- the regions of one answer form a group (they add up to the region above, published by another
  request), as do the parts of one breakdown of a row (they add up to the row's
  `foreign_nationals`): when only one cell of a group is hidden, its smallest other non-zero cell
  is hidden too, so a total minus the others cannot reveal it.

Counted here: `foreign_nationals`, its `_by_purpose` / `_by_permit` / `_by_nationality` parts and
the lodging guests. Activities are not persons; the workers' columns are as they have always been.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.maps.classify import SMALL_BELOW
from geo.reports.suppress import protect_group, protect_mapping

THRESHOLD = SMALL_BELOW
REGION_COUNTS = ("foreign_nationals", "lodging_guests_30d")
SERIES_COUNTS = ("foreign_nationals", "lodging_guests")
BREAKDOWNS = ("foreign_nationals_by_purpose", "foreign_nationals_by_permit", "foreign_nationals_by_nationality")


def protect_rows(rows: list[dict], counts: Iterable[str] = REGION_COUNTS, threshold: int = THRESHOLD) -> list[dict]:
    """The rows of one group of regions, in place: each of `counts` protected across the rows,
    each breakdown within its row (its order kept)."""
    for field in counts:
        at = [i for i, row in enumerate(rows) if isinstance(row.get(field), int)]
        for i, cell in zip(at, protect_group([rows[i][field] for i in at], threshold), strict=True):
            rows[i][field] = cell
    for row in rows:
        for field in BREAKDOWNS:
            if isinstance(parts := row.get(field), dict) and parts:
                shown = protect_mapping(parts, threshold)
                row[field] = {k: shown[k] for k in parts}
    return rows


def protect_series(rows: list[dict], threshold: int = THRESHOLD) -> list[dict]:
    """Quarterly rows (of many regions), in place: the regions of each quarter form one group."""
    quarters: dict[str, list[dict]] = {}
    for row in rows:
        quarters.setdefault(row.get("quarter"), []).append(row)
    for group in quarters.values():
        protect_rows(group, SERIES_COUNTS, threshold)
    return rows
