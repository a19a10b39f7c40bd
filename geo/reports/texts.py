"""Sentences every format prints the same way: filter, trace line, suppression note, source."""

from __future__ import annotations

import json
from functools import lru_cache

from geo.reports import labels
from geo.settings import PROJECT_ROOT

FILTER_NAMES = {"sector": "sektor", "nationality": "kewarganegaraan", "permit_status": "status RPTKA",
                "regency_code": "kabupaten/kota", "district_code": "kecamatan", "datetime": "RPTKA berakhir"}


PROVINCE_NAME = "Provinsi Kalimantan Tengah"


def region(meta: dict) -> str:
    """What the report covers, as a title names it: the regency of a one-regency report, else the province."""
    return meta.get("region_name") or PROVINCE_NAME


def title(meta: dict) -> str:
    return f"Laporan Pemantauan Tenaga Kerja Asing — {region(meta)}"


def _filter_value(key: str, value: str) -> str:
    if key == "nationality":
        return ", ".join(labels.nationality(v) for v in value.split(","))
    if key == "permit_status":
        return labels.PERMIT_STATUS.get(value, value).lower()
    if key == "datetime":
        start, _, end = value.partition("/")
        return " s.d. ".join(labels.long_date(None if d in ("", "..") else d, "…") for d in (start, end or start))
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
    ts = meta["data_as_of"]
    return f"{labels.long_date(ts)} {ts:%H:%M} (UTC{ts:%z})".replace("(UTC+0700)", "WIB")


def trace_line(meta: dict) -> str:
    """The footer of every page: what the page was made from."""
    return (f"Filter: {describe_filter(meta)} | Data per {as_of(meta)} | Status izin per "
            f"{labels.long_date(meta['reference_day'])} | Hash {meta['hash']}")


def suppression_note(meta: dict) -> str:
    t = meta["threshold"]
    if not t:
        return ("Tanpa penyamaran angka kecil (--no-suppress): jumlah orang kecil dapat mengidentifikasi "
                "seseorang; jangan sebarkan laporan ini di luar instansi.")
    return (f"Perlindungan data pribadi (UU 27/2022): jumlah TKA 1 sampai {t - 1} ditampilkan sebagai "
            f"\"<{t}\". Bila dalam satu baris atau kelompok yang dijumlahkan hanya satu sel disamarkan, "
            f"sel terkecil berikutnya juga disamarkan agar tidak dapat dihitung balik dari jumlahnya. "
            f"Jumlah perusahaan tidak disamarkan.")


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
