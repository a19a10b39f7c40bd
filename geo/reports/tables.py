"""The report's tables as (headers, rows) of typed cells, shared by the PDF, HTML and XLSX so the
three formats show the same columns and values."""

from __future__ import annotations

from dataclasses import dataclass

from geo import clock
from geo.reports import foreign, labels


@dataclass(frozen=True)
class Table:
    key: str  # sheet / anchor name
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]
    total: tuple | None = None  # a totals row, when the columns add up


REGION_HEADERS = ("Kode", "Wilayah", "Perusahaan", "TKA", "Izin kerja kedaluwarsa",
                  "Izin berakhir <=30 hari", "Izin berakhir <=90 hari", "RPTKA kedaluwarsa",
                  "RPTKA berakhir <=90 hari", "Pemeriksaan 12 bln", "Belum diperiksa 12 bln")
REGION_KEYS = ("companies", "foreign_workers", "permits_expired", "permits_expiring_30d",
               "permits_expiring_90d", "rptka_expired", "rptka_expiring_90d", "inspections_12m",
               "not_inspected_12m")


def _region_row(r: dict, name: str | None = None) -> tuple:
    return (r["code"], name or r["name"], *(r[k] for k in REGION_KEYS))


def regencies(content: dict) -> Table:
    s = content["summary"]
    total = (clock.province(), "Jumlah", *(s[k] for k in REGION_KEYS))
    return Table("kabupaten_kota", "Rekapitulasi per kabupaten/kota", REGION_HEADERS,
                 [_region_row(r) for r in content["regencies"]], total)


def districts(content: dict) -> Table:
    names = {r["code"]: r["name"].removeprefix("Kabupaten ") for r in content["regencies"]}
    headers = ("Kode", "Kecamatan", "Kabupaten/kota", *REGION_HEADERS[2:])
    rows = [(r["code"], r["name"], names.get(r["parent_code"], r["parent_code"]), *(r[k] for k in REGION_KEYS))
            for r in content["districts"]]
    return Table("kecamatan", "Rekapitulasi per kecamatan", headers, rows)


def nationality_by_regency(content: dict) -> Table:
    codes = sorted(content["summary"]["by_nationality"])
    headers = ("Kode", "Kabupaten/kota", *(labels.nationality(c) for c in codes))
    rows = [(r["code"], r["name"], *(r["by_nationality"].get(c, 0) for c in codes)) for r in content["regencies"]]
    return Table("kewarganegaraan", "TKA per kewarganegaraan dan kabupaten/kota", headers, rows,
                 (clock.province(), "Jumlah", *(content["summary"]["by_nationality"][c] for c in codes)))


COMPANY_HEADERS = ("NIB", "Perusahaan", "Sektor", "Kabupaten/kota", "Kecamatan", "TKA",
                   "Izin kerja kedaluwarsa", "Izin berakhir <=90 hari", "RPTKA berlaku s.d.",
                   "Status RPTKA", "Pemeriksaan terakhir", "Bujur", "Lintang")


def companies(content: dict, rows: list[dict] | None = None) -> Table:
    names = _region_names(content)
    out = [(c["nib"], c["name"], c["sector_label"], names.get(c["regency_code"], c["regency_code"]),
            names.get(c["district_code"], c["district_code"]), c["foreign_workers"], c["permits_expired"],
            c["permits_expiring_90d"], c["rptka_valid_until"], labels.PERMIT_STATUS[c["rptka_status"]],
            c["last_inspected"], c["lon"], c["lat"])
           for c in (content["companies"] if rows is None else rows)]
    return Table("perusahaan", "Perusahaan pemberi kerja TKA", COMPANY_HEADERS, out)


def expiring(content: dict) -> Table:
    """Companies whose RPTKA has expired or ends within 90 days, soonest first."""
    names = _region_names(content)
    rows = sorted((c for c in content["companies"] if c["rptka_status"] in ("expired", "expiring")),
                  key=lambda c: (c["rptka_valid_until"], c["name"], c["id"]))
    headers = ("RPTKA berlaku s.d.", "Status", "Perusahaan", "Kabupaten/kota", "TKA", "Izin kerja kedaluwarsa")
    out = [(c["rptka_valid_until"], labels.PERMIT_STATUS[c["rptka_status"]], c["name"],
            names.get(c["regency_code"], c["regency_code"]), c["foreign_workers"], c["permits_expired"])
           for c in rows]
    return Table("izin_berakhir", "RPTKA kedaluwarsa dan segera berakhir", headers, out)


def inspections(content: dict) -> Table:
    names = _region_names(content)
    headers = ("Tanggal", "Perusahaan", "Kabupaten/kota", "Tim", "Temuan", "Tindak lanjut", "Status")
    rows = [(i["inspected_on"], i["company"], names.get(i["regency_code"], i["regency_code"]), labels.team(i["team"]),
             labels.FINDINGS[i["finding"]], i["follow_up"], labels.INSPECTION_STATUS[i["status"]])
            for i in content["inspections"]]
    return Table("pemeriksaan", "Pemeriksaan lapangan dalam periode", headers, rows)


def findings(content: dict) -> Table:
    statuses = tuple(labels.INSPECTION_STATUS)
    counts: dict[str, dict[str, int]] = {}
    for i in content["inspections"]:
        counts.setdefault(i["finding"], dict.fromkeys(statuses, 0))[i["status"]] += 1
    rows = [(labels.FINDINGS[f], *(counts[f][s] for s in statuses), sum(counts[f].values()))
            for f in labels.FINDINGS if f in counts]
    total = ("Jumlah", *(sum(counts[f][s] for f in counts) for s in statuses), len(content["inspections"]))
    return Table("temuan", "Temuan pemeriksaan dan status tindak lanjut",
                 ("Temuan", *(labels.INSPECTION_STATUS[s] for s in statuses), "Jumlah"), rows, total)


def workers(content: dict) -> Table:
    names = _region_names(content)
    headers = ("Nama lengkap", "No. paspor", "Kewarganegaraan", "Jenis kelamin", "Jabatan", "Tingkat jabatan",
               "Perusahaan", "Kabupaten/kota", "Izin kerja berlaku s.d.", "No. ITAS", "ITAS berlaku s.d.")
    rows = [(w["full_name"], w["passport_number"], labels.nationality(w["nationality"]), labels.SEX.get(w["sex"], w["sex"]), w["position"],
             labels.POSITION_LEVELS.get(w["position_level"], w["position_level"]), w["company"],
             names.get(w["regency_code"], w["regency_code"]), w["permit_valid_until"], w["itas_number"],
             w["itas_valid_until"]) for w in content.get("workers", [])]
    return Table("tka", "Daftar TKA (data pribadi, UU 27/2022)", headers, rows)


def areas(content: dict) -> Table:
    """The report's regions: per regency, or per district in a one-regency report (where one
    regency row would say nothing); totals from the summary either way."""
    reg = regencies(content)
    if not content["meta"]["regency"]:
        return reg
    return Table("kecamatan", "Rekapitulasi per kecamatan", ("Kode", "Kecamatan", *REGION_HEADERS[2:]),
                 [_region_row(d) for d in content["districts"]], reg.total)


def _region_names(content: dict) -> dict[str, str]:
    return {r["code"]: r["name"] for r in content["regencies"] + content["districts"]}


# --- Orang asing (issue 17) ---------------------------------------------------------------------
def _unit(content: dict) -> tuple[str, str]:
    """The section's rows: ('Kabupaten/kota', the province's code for the totals), or in a one-regency
    report its districts ('Kecamatan', the regency's code)."""
    if content["foreign"]["level"] == "district":
        return "Kecamatan", content["meta"]["regency"]
    return "Kabupaten/kota", clock.province()


def _present(content: dict, key: str, codes: list[str], names: dict[str, str], table_key: str, title: str) -> Table:
    f = content["foreign"]
    word, total_code = _unit(content)
    headers = ("Kode", word, *(names[c] for c in codes), "Jumlah")
    rows = [(r["code"], r["name"], *(r[key].get(c, 0) for c in codes), r["total"]) for r in f["present"]]
    t = f["present_total"]
    return Table(table_key, f"{title} {word.lower()}", headers, rows,
                 (total_code, "Jumlah", *(t[key].get(c, 0) for c in codes), t["total"]))


def foreign_purposes(content: dict) -> Table:
    f = content["foreign"]
    return _present(content, "by_purpose", list(f["purposes"]), f["purposes"], "orang_asing_tujuan",
                    "Orang asing per tujuan dan")


def foreign_permits(content: dict) -> Table:
    f = content["foreign"]
    return _present(content, "by_permit", list(f["permit_types"]), f["permit_types"], "orang_asing_izin",
                    "Orang asing per jenis izin tinggal dan")


def foreign_nationalities(content: dict, top: bool = False) -> Table:
    """Every nationality (XLSX, HTML), or the largest ones and the rest pooled in 'Lainnya' (PDF)."""
    f = content["foreign"]
    if top:
        codes = [*f["top_nationalities"], *([foreign.OTHERS] if foreign.OTHERS in f["present_total"]["by_nationality_top"] else [])]
        names = {**f["nationalities"], foreign.OTHERS: "Lainnya"}
        return _present(content, "by_nationality_top", codes, names, "orang_asing_kewarganegaraan",
                        "Orang asing per kewarganegaraan dan")
    return _present(content, "by_nationality", sorted(f["nationalities"], key=f["nationalities"].get),
                    f["nationalities"], "orang_asing_kewarganegaraan", "Orang asing per kewarganegaraan dan")


def lodging(content: dict) -> Table:
    f = content["foreign"]
    word, total_code = _unit(content)
    rows = [(r["code"], r["name"], r["establishments"], r["guests"]) for r in f["lodging"]]
    t = f["lodging_total"]
    return Table("penginapan", "Tamu orang asing di penginapan dalam periode",
                 ("Kode", word, "Penginapan melapor", "Tamu orang asing"), rows,
                 (total_code, "Jumlah", t["establishments"], t["guests"]))


def activity_kinds(content: dict) -> Table:
    f = content["foreign"]
    kinds = list(f["activity_kinds"])
    word, total_code = _unit(content)
    rows = [(r["code"], r["name"], *(r[k] for k in kinds), sum(r[k] for k in kinds)) for r in f["activities_by_kind"]]
    t = f["activities_total"]
    return Table("kegiatan_jenis", f"Kegiatan pemantauan per jenis dan {word.lower()}",
                 ("Kode", word, *(f["activity_kinds"][k] for k in kinds), "Jumlah"), rows,
                 (total_code, "Jumlah", *(t[k] for k in kinds), sum(t.values())))


ACTIVITY_HEADERS = ("Tanggal", "Jenis kegiatan", "Kecamatan", "Kabupaten/kota", "Instansi", "Sasaran", "Temuan",
                    "Tindak lanjut")


def activities(content: dict) -> Table:
    f = content["foreign"]
    names = _region_names(content)
    rows = [(a["held_on"], f["activity_kinds"].get(a["kind"], a["kind"]), a["district"],
             names.get(a["regency_code"], a["regency_code"]), labels.team(a["agencies"]), a["targets"],
             a["findings"], a["follow_up"]) for a in f["activities"]]
    return Table("kegiatan", "Kegiatan pemantauan orang asing dalam periode", ACTIVITY_HEADERS, rows)


FOREIGN_TABLES = (foreign_purposes, foreign_permits, foreign_nationalities, lodging, activity_kinds, activities)
