"""Pantau spatial core: database, boundaries, queries, maps, reports and imports."""

__version__ = "0.1.0"
