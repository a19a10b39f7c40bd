"""Monitoring statistics: counts by region, a home-page summary and quarterly series.

Everything is aggregated in PostgreSQL (one statement per call); the maps, reports and the API
call these functions directly so a number means the same everywhere. Aggregates only: no
personal data leaves these functions.
"""

from geo.stats.regions import LEVELS, region_stats, region_stats_geojson, region_stats_json
from geo.stats.series import parse_quarter, quarterly_series, window_totals
from geo.stats.summary import summary

__all__ = [
    "LEVELS",
    "parse_quarter",
    "quarterly_series",
    "region_stats",
    "region_stats_geojson",
    "region_stats_json",
    "summary",
    "window_totals",
]
