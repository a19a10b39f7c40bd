"""Controlled lists read from the database (sectors, agencies) or fixed by the schema (findings, sex)."""

from __future__ import annotations

import re

from geo.db import Connection

# Inspection finding labels as field teams write them → inspections.finding codes.
FINDINGS = {
    "none": ("tidak ada", "tidak ada temuan", "nihil", "tidak ada pelanggaran", "sesuai", "none"),
    "expired_permit": ("izin kedaluwarsa", "izin kadaluarsa", "izin kadaluwarsa", "izin habis",
                       "izin habis berlaku", "itas kedaluwarsa", "itas kadaluarsa", "expired permit"),
    "position_mismatch": ("jabatan tidak sesuai", "jabatan tidak sesuai rptka", "position mismatch"),
    "location_mismatch": ("lokasi tidak sesuai", "lokasi kerja tidak sesuai", "location mismatch"),
    "no_permit": ("tanpa izin", "tidak ada izin", "tidak memiliki izin", "tanpa rptka", "no permit"),
    "other": ("lainnya", "lain-lain", "lain lain", "other"),
}
SEX = {"l": "L", "laki-laki": "L", "laki laki": "L", "pria": "L", "m": "L", "male": "L",
       "p": "P", "perempuan": "P", "wanita": "P", "f": "P", "female": "P"}


def key(text: str) -> str:
    return " ".join(text.lower().split())


def finding_lookup() -> dict[str, str]:
    table = {code: code for code in FINDINGS}
    for code, labels in FINDINGS.items():
        table.update({key(label): code for label in labels})
    return table


def sector_lookup(conn: Connection) -> dict[str, str]:
    """Sector label or code (any case) → sectors.code."""
    with conn.cursor() as cur:
        cur.execute("SELECT code, label FROM sectors")
        rows = cur.fetchall()
    table = {key(code): code for code, _ in rows}
    table.update({key(label): code for code, label in rows})
    return table


def agency_lookup(conn: Connection) -> dict[str, str]:
    """Agency code, full name, or the short name in parentheses ('Imigrasi (Tim PORA)' → also
    'imigrasi' and 'tim pora') → agencies.code."""
    with conn.cursor() as cur:
        cur.execute("SELECT code, name FROM agencies")
        rows = cur.fetchall()
    table: dict[str, str] = {}
    for code, name in rows:
        table[key(code)] = code
        table[key(name)] = code
        outer = re.sub(r"\s*\(.*?\)\s*", " ", name)
        table[key(outer)] = code
        for inner in re.findall(r"\((.*?)\)", name):
            table[key(inner)] = code
    return table


_LISTS = ("permit_types", "stay_purposes", "activity_kinds")  # allow-list: table names are identifiers


def list_lookup(conn: Connection, table: str) -> dict[str, str]:
    """A controlled list of issue 17 by code ('visa_kunjungan', 'Visa Kunjungan'), by label
    ('Visa kunjungan') or by a part of the label in or outside parentheses ('ITAS', 'izin tinggal terbatas')."""
    if table not in _LISTS:
        raise ValueError(table)
    with conn.cursor() as cur:
        cur.execute(f"SELECT code, label FROM {table}")  # noqa: S608 - allow-listed name
        rows = cur.fetchall()
    out: dict[str, str] = {}
    for code, label in rows:
        for text in (label, re.sub(r"\s*\(.*?\)\s*", " ", label), *re.findall(r"\((.*?)\)", label)):
            out.setdefault(key(text), code)
    for code, _ in rows:  # codes win over a label part that happens to match another code
        out[key(code)] = code
        out[key(code.replace("_", " "))] = code
    return out
