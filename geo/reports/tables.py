"""The report's tables as (headers, rows) of typed cells, shared by the PDF, HTML and XLSX so the
three formats show the same columns and values."""

from __future__ import annotations

from dataclasses import dataclass

from geo import clock
from geo.reports import labels


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
