"""Indonesian labels for codes shown in reports."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

FINDINGS = {
    "none": "Tidak ada temuan",
    "expired_permit": "Izin kedaluwarsa",
    "position_mismatch": "Jabatan tidak sesuai",
    "location_mismatch": "Lokasi kerja tidak sesuai",
    "no_permit": "Tanpa izin",
    "other": "Lainnya",
}
INSPECTION_STATUS = {"open": "Terbuka", "in_progress": "Diproses", "closed": "Selesai"}
POSITION_LEVELS = {"direktur": "Direktur", "komisaris": "Komisaris", "manajer": "Manajer",
                   "profesional": "Profesional", "konsultan": "Konsultan"}
SEX = {"L": "Laki-laki", "P": "Perempuan", "?": "Tidak tercatat"}
PERMIT_STATUS = {"expired": "Kedaluwarsa", "expiring": "Segera berakhir", "valid": "Berlaku",
                 "unknown": "Tidak tercatat"}
# The cover names the issuing agency in full; other agencies fall back to the agencies table.
ISSUERS = {"kesbangpol": "Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Tengah"}
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")


@lru_cache(maxsize=1)
def _countries() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"], fallback=True)


@lru_cache(maxsize=512)
def nationality(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return _countries().gettext(country.name) if country else code


def long_date(d) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
