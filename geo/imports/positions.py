"""Position (jabatan) → Kemnaker position level by keywords of the title.

Order matters: 'Presiden Komisaris' is a commissioner, 'Direktur Keuangan' a director although
'keuangan' might suggest a manager; titles matching nothing are professionals (engineers,
technicians, supervisors: Kemnaker's largest group).
"""

from __future__ import annotations

import re

import pandas as pd

LEVELS = ("direktur", "komisaris", "manajer", "profesional", "konsultan")

KEYWORDS: tuple[tuple[str, str], ...] = (
    ("komisaris", r"komisaris|commissioner"),
    ("direktur", r"direktur|director|direksi|\bceo\b|\bcfo\b|\bcoo\b|\bcto\b|presiden"),
    ("konsultan", r"konsultan|consultant|penasihat|penasehat|advisor|adviser"),
    ("manajer", r"manajer|manager|manejer|\bgm\b|kepala|\bhead\b"),
)
_PATTERNS = [(level, re.compile(rx, re.IGNORECASE)) for level, rx in KEYWORDS]


def position_level(title: str) -> str:
    for level, pattern in _PATTERNS:
        if pattern.search(title):
            return level
    return "profesional"


def position_levels(titles: pd.Series) -> pd.Series:
    """Vectorised over the distinct titles (a file has few)."""
    mapping = {t: position_level(t) for t in titles.unique()}
    return titles.map(mapping)
