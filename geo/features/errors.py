"""Errors of a features request; the message always names the bad parameter and value."""

from __future__ import annotations


class FeatureQueryError(ValueError):
    """A request that cannot be answered as asked (→ 400)."""


class FeatureNotFound(LookupError):
    """An unknown collection, feature or region (→ 404)."""
