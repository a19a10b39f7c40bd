"""Declared regency (kabupaten/kota) and district (kecamatan) → boundary codes.

Names are looked up in the loaded `boundaries`, tolerant of case, spacing and the prefixes offices
write or omit: 'Kab. Kotawaringin Timur', 'KOTAWARINGIN TIMUR', 'Kota Palangka Raya' (stored as
'Kota Palangkaraya'). A district name is looked up within its declared regency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.db import Connection

_REGENCY_PREFIX = re.compile(r"^(kabupaten|kab\.?|kota|kodya|kotamadya)\s+", re.IGNORECASE)
_DISTRICT_PREFIX = re.compile(r"^(kecamatan|kec\.?)\s+", re.IGNORECASE)
_CODE = re.compile(r"^\d{2}\.?\d{2}(\.?\d{2})?$")


def _squash(text: str) -> str:
    """Compare names without case, spaces or punctuation ('Palangka Raya' = 'Palangkaraya')."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _code(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return ".".join(digits[i:i + 2] for i in range(0, len(digits), 2))


@dataclass
class Places:
    regencies: dict[str, str]  # squashed name (with and without prefix) → code
    regency_codes: set[str]
    districts: dict[tuple[str, str], str]  # (regency code, squashed name) → code
    district_codes: dict[str, str]  # code → regency code
    districts_by_name: dict[str, set[str]]  # squashed name → codes (for a district without regency)

    @classmethod
    def load(cls, conn: Connection) -> Places:
        with conn.cursor() as cur:
            cur.execute("SELECT code, name, parent_code, level FROM boundaries "
                        "WHERE level IN ('regency', 'district') AND code LIKE '62.%'")
            rows = cur.fetchall()
        places = cls({}, set(), {}, {}, {})
        for code, name, parent, level in rows:
            if level == "regency":
                places.regency_codes.add(code)
                places.regencies[_squash(name)] = code
                places.regencies[_squash(_REGENCY_PREFIX.sub("", name))] = code
            else:
                places.district_codes[code] = parent
                places.districts[(parent, _squash(name))] = code
                places.districts_by_name.setdefault(_squash(name), set()).add(code)
        return places

    def regency(self, text: str) -> str | None:
        if _CODE.match(text):
            code = _code(text)
            return code if code in self.regency_codes else None
        return self.regencies.get(_squash(text)) or self.regencies.get(_squash(_REGENCY_PREFIX.sub("", text)))

    def district(self, text: str, regency: str | None) -> str | None:
        if _CODE.match(text):
            code = _code(text)
            ok = code in self.district_codes and (regency is None or self.district_codes[code] == regency)
            return code if ok else None
        names = (_squash(text), _squash(_DISTRICT_PREFIX.sub("", text)))
        if regency is not None:
            return next((self.districts[(regency, n)] for n in names if (regency, n) in self.districts), None)
        for n in names:
            codes = self.districts_by_name.get(n, set())
            if len(codes) == 1:  # ambiguous without a regency
                return next(iter(codes))
        return None
