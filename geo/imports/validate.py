"""Row validation per template: strings → normalised values, and a rejection for each bad field.

Checks that need the database's geometry (is the point in Kalimantan Tengah?) happen after staging,
in `store`; everything else is here, vectorised over the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.imports import parsing
from geo.imports.codes import SEX, key
from geo.imports.countries import to_iso2
from geo.imports.places import Places
from geo.imports.positions import position_levels
from geo.imports.problems import Problems
from geo.imports.reading import Table
from geo.imports.templates import columns

# Rough bounding box of Kalimantan Tengah, only to recognise swapped coordinates.
LAT_RANGE = (-4.5, 1.5)
LON_RANGE = (110.0, 116.0)


@dataclass
class Context:
    places: Places
    sectors: dict[str, str]  # label/code key → code
    agencies: dict[str, str]  # name/code key → code
    findings: dict[str, str]  # label key → finding code
    company_ids: dict[str, int]  # NIB → companies.id already in the database (and in the user's scope)
    # Foreign-national templates (geo/imports/foreign.py); each holds only what the user may write in.
    villages: dict[str, str] = field(default_factory=dict)  # village code → district code
    districts: set[str] = field(default_factory=set)
    permit_types: dict[str, str] = field(default_factory=dict)  # label/code key → code
    purposes: dict[str, str] = field(default_factory=dict)
    activity_kinds: dict[str, str] = field(default_factory=dict)
    today: str = "9999-12-31"  # the province's day (ISO), for dates that cannot lie ahead


@dataclass
class Validated:
    frame: pd.DataFrame  # normalised values of every row (bad fields missing), plus `line`
    problems: Problems


def validate(kind: str, table: Table, ctx: Context) -> Validated:
    frame = table.frame.copy()
    for name in columns(kind):
        if name not in frame:
            frame[name] = ""  # optional columns absent from the file
    problems = Problems(table.lines, columns(kind))
    for line, width in table.malformed:
        problems.add_lines([line], "", [None], [
            f"baris berisi {width} kolom, lebih dari judulnya; pemisah desimal koma tanpa tanda kutip? "
            f"(row has {width} fields, more than the header)"])
    from geo.imports import foreign  # it builds on the field checks below

    out = {"companies": _companies, "workers": _workers, "inspections": _inspections,
           "foreign_nationals": foreign.foreign_nationals, "lodgings": foreign.lodgings,
           "activities": foreign.activities}[kind](frame, problems, ctx)
    out["line"] = table.lines
    return Validated(out, problems)


# --- shared field checks ---------------------------------------------------------------------------
def _required_text(frame, problems, column, what) -> pd.Series:
    s = frame[column]
    problems.add(s == "", column, s, f"{what} kosong ({column} missing)")
    return s.where(s != "", None)


def _optional_text(frame, column) -> pd.Series:
    s = frame[column]
    return s.where(s != "", None)


def _nib(frame, problems) -> pd.Series:
    s = frame["nib"]
    parsed = parsing.parse_nib(s)
    problems.add(parsed.empty, "nib", s, "NIB kosong (NIB missing)")
    problems.add(parsed.invalid, "nib", s, "NIB harus 13 digit angka (NIB must be 13 digits)")
    return parsed.values


# Also the answer for an employer outside the user's scope (`company_ids` holds only the scope's).
UNKNOWN_EMPLOYER = ("NIB perusahaan tidak terdaftar di Pantau; impor data perusahaannya terlebih dahulu "
                    "(employer NIB unknown)")


def _known_employer(nib, frame, problems, ctx) -> pd.Series:
    ids = nib.map(ctx.company_ids)
    unknown = nib.notna() & ids.isna()
    problems.add(unknown, "nib", frame["nib"], UNKNOWN_EMPLOYER)
    return ids


def _date(frame, problems, column, required=False) -> pd.Series:
    s = frame[column]
    parsed = parsing.parse_date(s)
    if required:
        problems.add(parsed.empty, column, s, f"tanggal {column} kosong (date missing)")
    problems.add(parsed.invalid, column, s, "format tanggal tidak dikenali; gunakan YYYY-MM-DD atau DD/MM/YYYY "
                 "(unrecognised date format)")
    problems.add(parsed.impossible, column, s, "tanggal tidak ada di kalender (impossible date)")
    return parsed.values


def _coordinates(frame, problems, lat_col, lon_col, required, missing_reason) -> tuple[pd.Series, pd.Series]:
    lat_s, lon_s = frame[lat_col], frame[lon_col]
    lat, lon = parsing.parse_number(lat_s), parsing.parse_number(lon_s)
    if required:
        problems.add(lat.empty, lat_col, lat_s, f"latitude kosong: {missing_reason} (latitude missing)")
        problems.add(lon.empty, lon_col, lon_s, f"longitude kosong: {missing_reason} (longitude missing)")
    else:  # optional point: both or neither
        problems.add(lat.empty & ~lon.empty, lat_col, lat_s, "latitude kosong padahal longitude diisi (latitude missing)")
        problems.add(lon.empty & ~lat.empty, lon_col, lon_s, "longitude kosong padahal latitude diisi (longitude missing)")
    problems.add(lat.invalid, lat_col, lat_s, "latitude bukan angka (latitude is not a number)")
    problems.add(lon.invalid, lon_col, lon_s, "longitude bukan angka (longitude is not a number)")
    y, x = lat.values, lon.values
    swapped = y.between(*LON_RANGE) & x.between(*LAT_RANGE)
    bad_lat = (y.abs() > 90).to_numpy()
    bad_lon = (x.abs() > 180).to_numpy()
    problems.add(bad_lat & swapped, lat_col, lat_s, "latitude di luar rentang -90..90; latitude dan longitude "
                 "tampaknya tertukar (latitude out of range; latitude and longitude look swapped)")
    problems.add(bad_lat & ~swapped, lat_col, lat_s, "latitude di luar rentang -90..90 (latitude out of range)")
    problems.add(bad_lon, lon_col, lon_s, "longitude di luar rentang -180..180 (longitude out of range)")
    ok = ~(lat.invalid | lon.invalid | bad_lat | bad_lon)
    return y.where(ok), x.where(ok)


def _duplicates(keys: pd.DataFrame, usable: pd.Series, lines, problems, column, values, what) -> None:
    """The later line of a repeated key is the duplicate; the reason names the first line."""
    sub = keys[usable.to_numpy()]
    dup = sub.duplicated(keep="first")
    if not dup.any():
        return
    first_line = pd.Series(lines[sub.index.to_numpy()], index=sub.index)
    first = sub.assign(_line=first_line).groupby(list(sub.columns), sort=False)["_line"].transform("first")
    mask = np.zeros(len(keys), dtype=bool)
    mask[sub.index[dup.to_numpy()]] = True
    reason = pd.Series("", index=keys.index, dtype=object)
    reason[sub.index[dup.to_numpy()]] = [
        f"{what} ganda: sudah ada di baris {int(n)} (duplicate {what}, first on line {int(n)})" for n in first[dup]
    ]
    problems.add(mask, column, values, reason)


def _lookup(frame, problems, column, table, what, required=True) -> pd.Series:
    s = frame[column]
    mapped = parsing.map_distinct(s, lambda v: table.get(key(v)) if v else None)
    if required:
        problems.add(s == "", column, s, f"{what} kosong ({column} missing)")
    problems.add((s != "") & mapped.isna(), column, s, f"{what} tidak dikenal (unknown {column})")
    return mapped


def _district(places: Places, name: str, regency: str) -> str | None:
    return places.district(name, regency or None) if name else None


# --- per template -------------------------------------------------------------------------------
def _companies(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    nib = _nib(frame, problems)
    _duplicates(pd.DataFrame({"nib": nib}), nib.notna(), problems.lines, problems, "nib", frame["nib"], "NIB")
    kbli = parsing.digits_code(frame["kbli"], 5)
    problems.add(kbli.invalid, "kbli", frame["kbli"], "KBLI harus 5 digit angka (KBLI must be 5 digits)")
    regency = parsing.map_distinct(frame["kabupaten_kota"], lambda v: ctx.places.regency(v) if v else None)
    problems.add((frame["kabupaten_kota"] != "") & regency.isna(), "kabupaten_kota", frame["kabupaten_kota"],
                 "kabupaten/kota tidak dikenal di Kalimantan Tengah (unknown regency)")
    # A district name means something only within its regency: look up each distinct pair once.
    pairs = frame["kecamatan"] + "|" + regency.fillna("")
    district = parsing.map_distinct(pairs, lambda p: _district(ctx.places, *p.rsplit("|", 1)))
    problems.add((frame["kecamatan"] != "") & district.isna(), "kecamatan", frame["kecamatan"],
                 "kecamatan tidak dikenal di kabupaten/kota tersebut (unknown district in that regency)")
    lat, lon = _coordinates(frame, problems, "latitude", "longitude", True,
                            "perusahaan hanya dipetakan pada lokasi yang diketahui")
    return pd.DataFrame({
        "nib": nib,
        "name": _required_text(frame, problems, "nama_perusahaan", "nama perusahaan"),
        "sector": _lookup(frame, problems, "sektor", ctx.sectors, "sektor"),
        "kbli": kbli.values,
        "address": _optional_text(frame, "alamat"),
        "declared_regency": regency,
        "declared_district": district,
        "lat": lat,
        "lon": lon,
        "rptka_valid_until": _date(frame, problems, "rptka_berlaku_hingga"),
    })


def _workers(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    nib = _nib(frame, problems)
    company_id = _known_employer(nib, frame, problems, ctx)
    passport = frame["nomor_paspor"].str.upper().str.replace(r"[\s\-]", "", regex=True)
    problems.add(passport == "", "nomor_paspor", None, "nomor paspor kosong (passport number missing)")
    bad_passport = (passport != "") & ~passport.str.fullmatch(r"[A-Z0-9]{5,20}")
    problems.add(bad_passport, "nomor_paspor", None,
                 "nomor paspor tidak sah: 5–20 huruf/angka (invalid passport number)")
    nat_s = frame["kewarganegaraan"]
    nationality = parsing.map_distinct(nat_s, lambda v: to_iso2(v) if v else None)
    problems.add(nat_s == "", "kewarganegaraan", nat_s, "kewarganegaraan kosong (nationality missing)")
    problems.add((nat_s != "") & nationality.isna(), "kewarganegaraan", nat_s,
                 "kewarganegaraan tidak dikenal (unknown nationality)")
    passport = passport.where((passport != "") & ~bad_passport, None)
    _duplicates(pd.DataFrame({"p": passport, "n": nationality}), passport.notna() & nationality.notna(),
                problems.lines, problems, "nomor_paspor", None, "paspor")
    sex = _lookup(frame, problems, "jenis_kelamin", SEX, "jenis kelamin", required=False)
    position = _required_text(frame, problems, "jabatan", "jabatan")
    lat, lon = _coordinates(frame, problems, "lokasi_kerja_lat", "lokasi_kerja_lon", False, "")
    return pd.DataFrame({
        "company_id": company_id.astype("Int64"),
        "nib": nib,
        "full_name": _required_text(frame, problems, "nama_lengkap", "nama lengkap"),
        "passport_number": passport,
        "nationality": nationality,
        "sex": sex,
        "position": position,
        "position_level": position_levels(position.fillna("")).where(position.notna(), None),
        "rptka_number": _optional_text(frame, "nomor_rptka"),
        "permit_valid_until": _date(frame, problems, "izin_berlaku_hingga"),
        "itas_number": _optional_text(frame, "nomor_itas"),
        "itas_valid_until": _date(frame, problems, "itas_berlaku_hingga"),
        "lat": lat,
        "lon": lon,
    })


def _team(text: str, agencies: dict[str, str]) -> str | None:
    """'Imigrasi, Polda / Disnakertrans' → '{disnakertrans,imigrasi,polda}' (sorted: one team, one key)."""
    import re

    names = [n for n in re.split(r"[,;/]|\bdan\b|&", text) if n.strip()]
    codes = [agencies.get(key(n)) for n in names]
    if not codes or None in codes:
        return None
    return "{" + ",".join(sorted(set(codes))) + "}"


def _inspections(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    nib = _nib(frame, problems)
    company_id = _known_employer(nib, frame, problems, ctx)
    day = _date(frame, problems, "tanggal", required=True)
    early = (day.notna() & (day.fillna("9999") < "2000-01-01")).to_numpy()
    problems.add(early, "tanggal", frame["tanggal"], "tanggal sebelum tahun 2000 (date before 2000)")
    tim = frame["tim"]
    team = parsing.map_distinct(tim, lambda v: _team(v, ctx.agencies) if v else None)
    problems.add(tim == "", "tim", tim, "tim kosong (team missing)")
    problems.add((tim != "") & team.isna(), "tim", tim, "instansi dalam tim tidak dikenal (unknown agency in team)")
    keys = pd.DataFrame({"n": nib, "d": day, "t": team})
    _duplicates(keys, keys.notna().all(axis=1) & ~early, problems.lines, problems, "tanggal", frame["tanggal"],
                "pemeriksaan (NIB, tanggal, tim)")
    return pd.DataFrame({
        "company_id": company_id.astype("Int64"),
        "nib": nib,
        "inspected_on": day,
        "team": team,
        "finding": _lookup(frame, problems, "temuan", ctx.findings, "temuan"),
        "notes": _optional_text(frame, "keterangan"),
        "follow_up": _optional_text(frame, "tindak_lanjut"),
    })
