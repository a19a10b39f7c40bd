"""Sentences every format prints the same way: filter, trace line, suppression note, source."""

from __future__ import annotations

import json
from functools import lru_cache

from geo import clock, formatting
from geo.maps.classify import classify_report
from geo.reports import labels
from geo.settings import PROJECT_ROOT

FILTER_NAMES = {"sector": "sektor", "nationality": "kewarganegaraan", "permit_status": "status RPTKA",
                "regency_code": "kabupaten/kota", "district_code": "kecamatan", "datetime": "RPTKA berakhir"}


PROVINCE_NAME = "Provinsi Kalimantan Tengah"


def region(meta: dict) -> str:
    """What the report covers, as a title names it: the regency of a one-regency report, else the province."""
    return meta.get("region_name") or PROVINCE_NAME


def title(meta: dict) -> str:
    return f"Laporan Pemantauan Orang Asing dan Tenaga Kerja Asing — {region(meta)}"


def _filter_value(key: str, value: str) -> str:
    if key == "nationality":
        return ", ".join(labels.nationality(v) for v in value.split(","))
    if key == "permit_status":
        return labels.PERMIT_STATUS.get(value, value).lower()
    if key == "sector":
        return ", ".join(labels.SECTORS.get(v, v) for v in value.split(","))
    if key == "datetime":
        start, _, end = value.partition("/")
        return " s.d. ".join(formatting.long_date(None if d in ("", "..") else d, "…") for d in (start, end or start))
    return value


def describe_filter(meta: dict) -> str:
    parts = [f"{FILTER_NAMES.get(k, k)}={_filter_value(k, v)}" for k, v in sorted(meta["filter"].items())]
    if meta.get("region_name"):
        covered = meta["region_name"]
    elif meta["scope"] is None:
        covered = "seluruh provinsi"
    else:
        covered = ", ".join(meta.get("scope_names") or meta["scope"])
    parts.append(f"cakupan: {covered}")
    return "; ".join(parts)


def as_of(meta: dict) -> str:
    return clock.stamp(meta["data_as_of"])  # '5 Desember 2026 14:07 WIB': the province's time


def trace_line(meta: dict) -> str:
    """The footer of every page: what the page was made from."""
    return (f"Filter: {describe_filter(meta)} | Data per {as_of(meta)} | Status izin per "
            f"{formatting.long_date(meta['reference_day'])} | Hash {meta['hash']}")


def suppression_note(meta: dict) -> str:
    t = meta["threshold"]
    if not t:
        return ("Tanpa penyamaran angka kecil (--no-suppress): jumlah orang kecil dapat mengidentifikasi "
                "seseorang; jangan sebarkan laporan ini di luar instansi.")
    return (f"Perlindungan data pribadi (UU 27/2022): jumlah TKA 1 sampai {t - 1} ditampilkan sebagai "
            f"\"<{t}\". Bila dalam satu baris atau kelompok yang dijumlahkan hanya satu sel disamarkan, "
            f"sel terkecil berikutnya juga disamarkan agar tidak dapat dihitung balik dari jumlahnya. "
            f"Jumlah perusahaan tidak disamarkan.")


def map_classes(c: dict) -> str:
    """How the overview map (workers per regency, or per district of a one-regency report) is
    classed, with every class: the same classes as the web map of the same data."""
    m = c["meta"]
    units = [d for d in c["districts"] if d["parent_code"] == m["regency"]] if m["regency"] else c["regencies"]
    return classify_report([u["foreign_workers"] for u in units], m["threshold"]).summary()


def comparison_note(comparison: dict) -> str:
    """Says what the change table compares, above all when the quarter is still running."""
    cur, prev = comparison["current"], comparison["previous"]
    if not comparison["partial"]:
        return f"Triwulan penuh {cur['label']} dibandingkan dengan triwulan penuh {prev['label']}."
    return (f"Triwulan berjalan: {cur['label']} ({comparison['days']} hari) dibandingkan dengan "
            f"{comparison['days']} hari pertama triwulan sebelumnya ({prev['label']}), bukan dengan triwulan penuh.")


def history_note() -> str:
    return (f"{labels.ACTIVE_NOTE} Tren: TKA yang tercatat dan izinnya masih berlaku pada akhir tiap triwulan; TKA yang sudah "
            "keluar dihitung sampai perubahan terakhir datanya (riwayat status belum tersedia).")


@lru_cache(maxsize=1)
def boundary_attribution() -> str:
    manifest = json.loads((PROJECT_ROOT / "data" / "boundaries" / "manifest.json").read_text("utf-8"))
    return manifest["upstream"]["attribution"]


def source_note(meta: dict) -> str:
    return (f"Sumber: Pantau (data per {as_of(meta)}). {boundary_attribution()}. "
            "Proyeksi Transverse Mercator 113,5° BT.")


# Sentences of the "Orang asing" section (issue 17).
COMPANY_FILTERS = ("sector", "permit_status", "datetime")


def foreign_note(meta: dict) -> str:
    """How foreign nationals are counted, and which filters the section follows."""
    day = formatting.long_date(meta["reference_day"])
    out = (f"Orang asing hadir per {day}: yang izin tinggalnya berlaku pada hari itu, TKA yang tercatat aktif "
           "dengan izin berlaku, atau tamu penginapan yang menginap pada hari itu (tanpa tanggal keluar: 30 hari); "
           "setiap orang dihitung sekali, menurut izin tinggalnya bila ada, lalu data TKA, lalu data penginapan. "
           "Tamu penginapan tanpa izin tinggal tercatat tidak mempunyai tujuan atau jenis izin.")
    ignored = [FILTER_NAMES[k] for k in COMPANY_FILTERS if k in meta["filter"]]
    if ignored:
        out += (f" Filter {', '.join(ignored)} berlaku untuk perusahaan dan TKA saja, tidak untuk bagian orang asing; "
                "filter wilayah dan kewarganegaraan berlaku.")
    return out


def lodging_note(foreign: dict) -> str:
    return (f"Tamu penginapan: orang asing yang menginap antara {formatting.long_date(foreign['start'])} dan "
            f"{formatting.long_date(foreign['reference_day'])} (tanpa tanggal keluar: 30 hari sejak masuk). "
            f"Orang yang menginap di dua {'kecamatan' if foreign['level'] == 'district' else 'kabupaten/kota'} "
            "dihitung di keduanya; baris Jumlah menghitungnya sekali. "
            "Penginapan melapor: penginapan yang melaporkan sedikitnya satu tamu orang asing dalam periode.")


def activities_note(meta: dict) -> str:
    if meta["personal"]:
        return "Sasaran, temuan dan tindak lanjut ditampilkan sebagaimana dicatat (data pribadi, UU 27/2022)."
    return ("Sasaran, temuan dan tindak lanjut dapat menyebut orang: nama dan nomor paspor/izin orang asing "
            "disamarkan ([disamarkan]).")
