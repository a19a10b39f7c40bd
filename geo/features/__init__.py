"""OGC API – Features on the monitoring data: the collection catalog, request parsing, CQL2 and the
SQL that builds whole GeoJSON responses inside PostgreSQL."""

from geo.features.catalog import CATALOG, Collection, Column, get_collection
from geo.features.errors import FeatureNotFound, FeatureQueryError

__all__ = ["CATALOG", "Collection", "Column", "FeatureNotFound", "FeatureQueryError", "get_collection"]
