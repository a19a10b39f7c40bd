"""Nationality as agencies write it → ISO 3166-1 alpha-2.

Accepted: ISO alpha-2/alpha-3 codes and names from pycountry (English official/common names) and
CLDR (Babel) in Indonesian and English: 'CN', 'CHN', 'China', 'Tiongkok', 'Korea Selatan',
'South Korea', 'Amerika Serikat'. CLDR lacks a few abbreviations and short forms that Indonesian
offices use; those, and only those, are in ALIASES.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale

# Abbreviations / short forms not in CLDR or ISO, as used in Indonesian government documents.
ALIASES = {
    "rrt": "CN",  # Republik Rakyat Tiongkok
    "rrc": "CN",  # Republik Rakyat Cina (older usage)
    "cina": "CN",
    "inggris": "GB",  # CLDR: 'Inggris Raya'
    "uk": "GB",
    "korsel": "KR",
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_3"):
            value = getattr(country, attr, None)
            if value:
                table[_key(value)] = country.alpha_2
    iso2 = {c.alpha_2 for c in pycountry.countries}
    for locale in ("en", "id"):
        for code, name in Locale.parse(locale).territories.items():
            if code in iso2:
                table[_key(name)] = code
    table.update(ALIASES)
    return table


@lru_cache(maxsize=4096)
def to_iso2(text: str) -> str | None:
    """The alpha-2 code for a nationality as written, or None when not recognised."""
    stripped = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", stripped) and pycountry.countries.get(alpha_2=stripped.upper()):
        return stripped.upper()
    return _names().get(_key(stripped))
