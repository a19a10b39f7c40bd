"""Monitoring statistics: counts by region, a home-page summary and quarterly series.

Everything is aggregated in PostgreSQL (one statement per call): by region and in the summary from
the sums kept by migration 0090 when they can answer (geo.stats.aggregates), else from the tables,
with the same numbers. The maps, reports and the API call these functions directly so a number means
the same everywhere. Counts only: no personal data leaves these functions.
"""

from geo.stats.foreign import ForeignFilter, foreign_counts, foreign_filter, foreign_region_stats
from geo.stats.regions import LEVELS, region_stats, region_stats_geojson, region_stats_json
from geo.stats.series import parse_quarter, quarterly_series, window_totals
from geo.stats.summary import summary

__all__ = [
    "ForeignFilter",
    "LEVELS",
    "foreign_counts",
    "foreign_filter",
    "foreign_region_stats",
    "parse_quarter",
    "quarterly_series",
    "region_stats",
    "region_stats_geojson",
    "region_stats_json",
    "summary",
    "window_totals",
]
