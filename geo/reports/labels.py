"""Indonesian labels for codes shown in reports: those of geo.labels (shared with the web pages, so
screen and paper use the same words), and the issuing agency's full name for the cover."""

from __future__ import annotations

from geo.labels import (  # noqa: F401 - re-exported for the report modules
    ACTIVE_NOTE,
    ACTIVE_WORKERS,
    AGENCIES,
    FINDINGS,
    INSPECTION_STATUS,
    PERMIT_STATUS,
    POSITION_LEVELS,
    SECTORS,
    SEX,
    WORKER_STATUS,
    nationality,
    team,
)

# The cover names the issuing agency in full; other agencies fall back to the agencies table.
ISSUERS = {"kesbangpol": "Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Tengah"}
