"""Indonesian display names for the codes Pantau stores (dates and numbers: geo.formatting).

One place, used by the web pages, the PDF, the offline HTML report and the XLSX annex, so a person
reads the same words on screen and on paper. Codes stay in the API, URLs and exports' code columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from babel import Locale

from geo.imports.countries import to_iso2

# Teams are lists of agency codes; the short names agencies use for each other in minutes.
AGENCIES = {
    "kesbangpol": "Kesbangpol",
    "imigrasi": "Imigrasi",
    "polda": "Polda",
    "disnakertrans": "Disnakertrans",
    "kemendagri": "Kemendagri",
    "pemkab": "Pemkab/Pemkot",
}
FINDINGS = {
    "none": "Tidak ada temuan",
    "expired_permit": "Izin kedaluwarsa",
    "position_mismatch": "Jabatan tidak sesuai",
    "location_mismatch": "Lokasi kerja tidak sesuai",
    "no_permit": "Tanpa izin",
    "other": "Lainnya",
}
# The sectors table's labels (migration 0003; tests/test_display_names.py checks they agree), for
# texts made without a database at hand, such as a report's filter line.
SECTORS = {
    "perkebunan_sawit": "Perkebunan kelapa sawit", "kehutanan": "Kehutanan",
    "pertambangan_batubara": "Pertambangan batubara", "pertambangan_emas": "Pertambangan emas",
    "pertambangan_zirkon": "Pertambangan zirkon", "smelter": "Smelter", "energi": "Energi dan pembangkit listrik",
    "konstruksi": "Konstruksi", "industri_pengolahan": "Industri pengolahan", "perdagangan": "Perdagangan",
    "pendidikan": "Pendidikan", "jasa": "Jasa",
}
INSPECTION_STATUS = {"open": "Terbuka", "in_progress": "Diproses", "closed": "Selesai"}
POSITION_LEVELS = {"direktur": "Direktur", "komisaris": "Komisaris", "manajer": "Manajer",
                   "profesional": "Profesional", "konsultan": "Konsultan"}
WORKER_STATUS = {"active": "Aktif", "departed": "Sudah keluar", "deported": "Dideportasi"}
COMPANY_STATUS = {"active": "Aktif", "inactive": "Tidak aktif", "closed": "Tutup"}
SEX = {"L": "Laki-laki", "P": "Perempuan", "?": "Tidak tercatat", "unknown": "Tidak tercatat", "": "Tidak tercatat"}
# A permit (RPTKA, work permit, ITAS) on a given day. Plain ASCII: the PDF's base fonts lack '≤'.
PERMIT_STATUS = {"valid": "Berlaku", "expiring": "Berakhir dalam 90 hari", "expired": "Kedaluwarsa",
                 "unknown": "Tidak tercatat"}

# The two counts of active foreign workers, named and told apart the same way everywhere (#15).
ACTIVE_WORKERS = "TKA aktif (semua status izin)"
ACTIVE_NOTE = ('"TKA aktif" adalah semua TKA yang tercatat masih bekerja, apa pun status izinnya; '
               '"TKA aktif dengan izin berlaku" hanya yang izin kerja dan ITAS-nya masih berlaku pada hari '
               'yang dihitung, sehingga biasanya lebih kecil.')

# CLDR's Indonesian names, except where Indonesian government usage differs: "Tiongkok" for China
# (Keppres 12/2014; CLDR agrees today, pinned here so a data update cannot bring back "Cina"), and
# the short forms for the special administrative regions.
NATIONALITY_OVERRIDES = {"CN": "Tiongkok", "HK": "Hong Kong", "MO": "Makau", "MM": "Myanmar"}


def name(table: dict[str, str], code: str | None, empty: str = "–") -> str:
    """The display name of `code` in `table`; an unknown code is shown as it is (never hidden)."""
    if code is None or code == "":
        return empty
    return table.get(code, code)


def team(codes: Iterable[str] | str | None) -> str:
    """An inspection team, e.g. ['disnakertrans', 'imigrasi'] -> 'Disnakertrans, Imigrasi'."""
    if not codes:
        return "–"
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.strip("{}").split(",") if c.strip()]
    return ", ".join(AGENCIES.get(c, c) for c in codes)


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    names = {code: title for code, title in Locale.parse("id").territories.items() if re.fullmatch(r"[A-Z]{2}", code)}
    names.update(NATIONALITY_OVERRIDES)
    return names


@lru_cache(maxsize=1024)
def nationality(code: str | None) -> str:
    """ISO 3166-1 alpha-2 -> the country's Indonesian name ('CN' -> 'Tiongkok', 'LK' -> 'Sri Lanka')."""
    if not code:
        return "–"
    return _territories().get(code.upper(), code)


@lru_cache(maxsize=1)
def nationality_choices() -> tuple[tuple[str, str], ...]:
    """(name, code) of every country, sorted by the Indonesian name: suggestions for the filter."""
    codes = {code for code in _territories() if to_iso2(code) == code}  # real ISO codes, no 'ZZ', 'EU'
    return tuple(sorted(((nationality(c), c) for c in codes), key=lambda nc: nc[0].casefold()))


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    return {n.casefold(): c for n, c in nationality_choices()}


def nationality_code(text: str) -> str | None:
    """What a person typed ('Tiongkok', 'china', 'cn', 'RRT', 'CHN') -> 'CN'; None if unknown."""
    stripped = " ".join(text.split())
    if not stripped:
        return None
    return _by_name().get(stripped.casefold()) or to_iso2(stripped)

