"""Row validation of the foreign-national templates (issue 17): orang_asing, penginapan, kegiatan.

Everything a row can be told in Python is checked here, so each bad field gets its own rejection
(line, column, value, reason); whether a point lies within 2 km of its village is checked on the
staged rows in `foreign_store`, and the database's triggers (place_row_in_village, the agencies
check) stay the last line of defence. A scoped user's context holds only the villages, districts
and companies of the scope: anything else reads exactly as unknown.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo.db import Connection
from geo.imports import parsing
from geo.imports.codes import SEX, key
from geo.imports.countries import to_iso2
from geo.imports.problems import Problems
from geo.imports.scope import params as scope_params
from geo.imports.validate import (
    Context,
    _coordinates,
    _date,
    _duplicates,
    _lookup,
    _optional_text,
    _required_text,
    _team,
)

_VILLAGE = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}\.?\d{4}$")
_DISTRICT = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}$")
PERMIT_NUMBER = r"[A-Z0-9/.-]{3,40}"  # foreign_national_stays.permit_number's CHECK
UNKNOWN_NIB = ("NIB perusahaan tidak terdaftar di Pantau; impor data perusahaannya terlebih dahulu "
               "(company NIB unknown)")
UNKNOWN_VILLAGE = ("kode desa tidak dikenal: bukan desa/kelurahan dalam batas wilayah yang dimuat "
                   "(unknown village code)")
UNKNOWN_DISTRICT = "kode kecamatan tidak dikenal (unknown district code)"


def villages(conn: Connection, regencies: tuple[str, ...] | None) -> dict[str, str]:
    """Village code → district code, of the loaded villages the user may write in."""
    with conn.cursor() as cur:
        cur.execute("SELECT code, parent_code FROM boundaries WHERE level = 'village' "
                    "AND (%(scope)s::text[] IS NULL OR left(code, 5) = ANY(%(scope)s::text[]))", scope_params(regencies))
        return dict(cur.fetchall())


def districts(conn: Connection, regencies: tuple[str, ...] | None) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM boundaries WHERE level = 'district' "
                    "AND (%(scope)s::text[] IS NULL OR left(code, 5) = ANY(%(scope)s::text[]))", scope_params(regencies))
        return {code for (code,) in cur.fetchall()}


def _dotted(text: str, pattern: re.Pattern, widths: tuple[int, ...]) -> str | None:
    """'62.71.01.1001' or '6271011001' → '62.71.01.1001' (the shape only; the lookup decides)."""
    if not pattern.match(text):
        return None
    digits, parts, at = re.sub(r"\D", "", text), [], 0
    for w in widths:
        parts.append(digits[at:at + w])
        at += w
    return ".".join(parts)


def _coded(frame, problems, column, known, pattern, widths, unknown_reason) -> pd.Series:
    s = frame[column]
    code = parsing.map_distinct(s, lambda v: _dotted(v, pattern, widths) if v else None)
    found = code.where(code.isin(list(known)), None)
    problems.add(s == "", column, s, f"{column} kosong ({column} missing)")
    problems.add((s != "") & found.isna(), column, s, unknown_reason)
    return found


def _listed(frame, problems, column, table, what, english) -> pd.Series:
    """A value of a controlled list; the rejection lists the codes (few, and what a writer needs)."""
    s = frame[column]
    mapped = parsing.map_distinct(s, lambda v: table.get(key(v)) if v else None)
    problems.add(s == "", column, s, f"{what} kosong ({column} missing)")
    codes = ", ".join(sorted(set(table.values())))
    problems.add((s != "") & mapped.isna(), column, s, f"{what} tidak dikenal; gunakan salah satu dari: {codes} "
                 f"(unknown {english})")
    return mapped


def _passport_and_nationality(frame, problems) -> tuple[pd.Series, pd.Series]:
    passport = frame["nomor_paspor"].str.upper().str.replace(r"[\s\-]", "", regex=True)
    problems.add(passport == "", "nomor_paspor", None, "nomor paspor kosong (passport number missing)")
    bad = (passport != "") & ~passport.str.fullmatch(r"[A-Z0-9]{5,20}")
    problems.add(bad, "nomor_paspor", None, "nomor paspor tidak sah: 5–20 huruf/angka (invalid passport number)")
    nat_s = frame["kewarganegaraan"]
    nationality = parsing.map_distinct(nat_s, lambda v: to_iso2(v) if v else None)
    problems.add(nat_s == "", "kewarganegaraan", nat_s, "kewarganegaraan kosong (nationality missing)")
    problems.add((nat_s != "") & nationality.isna(), "kewarganegaraan", nat_s,
                 "kewarganegaraan tidak dikenal (unknown nationality)")
    return passport.where((passport != "") & ~bad, None), nationality


def _from_2000(frame, problems, column, day) -> np.ndarray:
    early = (day.notna() & (day.fillna("9999") < "2000-01-01")).to_numpy()
    problems.add(early, column, frame[column], "tanggal sebelum tahun 2000 (date before 2000)")
    return early


def _not_before(frame, problems, column, later, earlier, earlier_column) -> None:
    bad = (later.notna() & earlier.notna() & (later.fillna("") < earlier.fillna(""))).to_numpy()
    problems.add(bad, column, frame[column], f"{column} sebelum {earlier_column} ({column} is before {earlier_column})")


def _point(frame, problems):
    return _coordinates(frame, problems, "latitude", "longitude", False, "")


def _nibs(text: str, known: dict[str, int]) -> tuple[list[int], list[str]]:
    """'6202000000001; 6271000000001' → (company ids, NIBs as written that are malformed or unknown)."""
    ids, bad = [], []
    for part in (p.strip() for p in re.split(r"[,;/\s]+", text) if p.strip()):
        parsed = parsing.parse_nib(pd.Series([part], dtype=object))
        nib = parsed.values.iloc[0]
        if nib is None or pd.isna(nib) or nib not in known:
            bad.append(part)
        else:
            ids.append(known[nib])
    return sorted(set(ids)), bad


# --- per template -------------------------------------------------------------------------------
def foreign_nationals(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    passport, nationality = _passport_and_nationality(frame, problems)
    _duplicates(pd.DataFrame({"p": passport, "n": nationality}), passport.notna() & nationality.notna(),
                problems.lines, problems, "nomor_paspor", None, "paspor")
    full_name = _required_text(frame, problems, "nama_lengkap", "nama lengkap")
    sex = _lookup(frame, problems, "jenis_kelamin", SEX, "jenis kelamin", required=False)
    born = _date(frame, problems, "tanggal_lahir")
    odd_birth = (born.notna() & ((born.fillna("") < "1900-01-01") | (born.fillna("") > ctx.today))).to_numpy()
    problems.add(odd_birth, "tanggal_lahir", None, "tanggal lahir sebelum 1900 atau setelah hari ini "
                 "(birth date before 1900 or in the future)")
    permit_type = _listed(frame, problems, "jenis_izin", ctx.permit_types, "jenis izin", "permit type")
    number = frame["nomor_izin"].str.upper().str.replace(r"\s", "", regex=True)
    bad_number = (number != "") & ~number.str.fullmatch(PERMIT_NUMBER)
    problems.add(bad_number, "nomor_izin", None, "nomor izin tidak sah: 3–40 huruf, angka, / . - (invalid permit number)")
    valid_from = _date(frame, problems, "izin_berlaku_dari", required=True)
    _from_2000(frame, problems, "izin_berlaku_dari", valid_from)
    valid_until = _date(frame, problems, "izin_berlaku_hingga")
    _not_before(frame, problems, "izin_berlaku_hingga", valid_until, valid_from, "izin_berlaku_dari")
    purpose = _listed(frame, problems, "tujuan", ctx.purposes, "tujuan", "purpose")
    nib = parsing.parse_nib(frame["nib_sponsor"])
    problems.add(nib.invalid, "nib_sponsor", frame["nib_sponsor"], "NIB harus 13 digit angka (NIB must be 13 digits)")
    sponsor_id = nib.values.map(ctx.company_ids)
    problems.add(nib.values.notna() & sponsor_id.isna(), "nib_sponsor", frame["nib_sponsor"], UNKNOWN_NIB)
    village = _coded(frame, problems, "kode_desa", ctx.villages, _VILLAGE, (2, 2, 2, 4), UNKNOWN_VILLAGE)
    lat, lon = _point(frame, problems)
    reported = _date(frame, problems, "tanggal_lapor")
    _from_2000(frame, problems, "tanggal_lapor", reported)
    return pd.DataFrame({
        "passport_number": passport,
        "nationality": nationality,
        "full_name": full_name,
        "sex": sex,
        "birth_date": born,
        "permit_type": permit_type,
        "permit_number": number.where(number != "", None),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "purpose": purpose,
        "sponsor_name": _optional_text(frame, "sponsor"),
        "sponsor_company_id": sponsor_id.astype("Int64"),
        "address": _optional_text(frame, "alamat"),
        "village_code": village,
        "lat": lat,
        "lon": lon,
        "reported_on": reported,
    })


def lodgings(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    name = _required_text(frame, problems, "nama_penginapan", "nama penginapan")
    village = _coded(frame, problems, "kode_desa", ctx.villages, _VILLAGE, (2, 2, 2, 4), UNKNOWN_VILLAGE)
    lat, lon = _point(frame, problems)
    passport, nationality = _passport_and_nationality(frame, problems)
    guest = _required_text(frame, problems, "nama_tamu", "nama tamu")
    check_in = _date(frame, problems, "tanggal_masuk", required=True)
    _from_2000(frame, problems, "tanggal_masuk", check_in)
    check_out = _date(frame, problems, "tanggal_keluar")
    _not_before(frame, problems, "tanggal_keluar", check_out, check_in, "tanggal_masuk")
    lodging_key = name.fillna("").str.lower().str.split().str.join(" ")
    keys = pd.DataFrame({"v": village, "l": lodging_key, "p": passport, "n": nationality, "d": check_in})
    _duplicates(keys, keys.notna().all(axis=1), problems.lines, problems, "nomor_paspor", None,
                "tamu (penginapan, paspor, tanggal masuk)")
    return pd.DataFrame({
        "lodging_name": name.str.split().str.join(" ").where(name.notna(), None),
        "lodging_address": _optional_text(frame, "alamat_penginapan"),
        "village_code": village,
        "lat": lat,
        "lon": lon,
        "passport_number": passport,
        "nationality": nationality,
        "guest_name": guest,
        "check_in": check_in,
        "check_out": check_out,
    })


def activities(frame, problems: Problems, ctx: Context) -> pd.DataFrame:
    day = _date(frame, problems, "tanggal", required=True)
    early = _from_2000(frame, problems, "tanggal", day)
    kind = _listed(frame, problems, "jenis_kegiatan", ctx.activity_kinds, "jenis kegiatan", "activity kind")
    district = _coded(frame, problems, "kode_kecamatan", ctx.districts, _DISTRICT, (2, 2, 2), UNKNOWN_DISTRICT)
    agencies_s = frame["instansi"]
    agencies = parsing.map_distinct(agencies_s, lambda v: _team(v, ctx.agencies) if v else None)
    problems.add(agencies_s == "", "instansi", agencies_s, "instansi kosong (agencies missing)")
    problems.add((agencies_s != "") & agencies.isna(), "instansi", agencies_s,
                 "instansi tidak dikenal; pisahkan kode instansi dengan ; atau , (unknown agency)")
    nib_s = frame["nib_sasaran"]
    targets = parsing.map_distinct(nib_s, lambda v: _nibs(v, ctx.company_ids) if v else ([], []))
    bad = pd.Series([", ".join(t[1]) for t in targets], index=frame.index, dtype=object)
    problems.add(bad != "", "nib_sasaran", bad, UNKNOWN_NIB)
    ids = pd.Series(["{" + ",".join(map(str, t[0])) + "}" for t in targets], index=frame.index, dtype=object)
    keys = pd.DataFrame({"d": day, "k": kind, "c": district, "a": agencies})
    _duplicates(keys, keys.notna().all(axis=1) & ~early, problems.lines, problems, "tanggal", frame["tanggal"],
                "kegiatan (tanggal, jenis, kecamatan, instansi)")
    return pd.DataFrame({
        "held_on": day,
        "kind": kind,
        "district_code": district,
        "agencies": agencies,
        "company_ids": ids,
        "targets": _optional_text(frame, "sasaran"),
        "findings": _optional_text(frame, "temuan"),
        "follow_up": _optional_text(frame, "tindak_lanjut"),
    })
