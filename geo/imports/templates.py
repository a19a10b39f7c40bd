"""The import templates: column names exactly as agencies receive them (issue 3)."""

from __future__ import annotations

KINDS = ("companies", "workers", "inspections")

REQUIRED: dict[str, tuple[str, ...]] = {
    "companies": ("nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
                  "latitude", "longitude", "rptka_berlaku_hingga"),
    "workers": ("nib", "nama_lengkap", "nomor_paspor", "kewarganegaraan", "jenis_kelamin", "jabatan",
                "nomor_rptka", "izin_berlaku_hingga", "nomor_itas", "itas_berlaku_hingga"),
    "inspections": ("nib", "tanggal", "tim", "temuan", "keterangan", "tindak_lanjut"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "companies": (),
    "workers": ("lokasi_kerja_lat", "lokasi_kerja_lon"),
    "inspections": (),
}
# Personal data (UU 27/2022): never quoted back in a rejection.
PERSONAL = frozenset({"nama_lengkap", "nomor_paspor", "nomor_itas"})


def columns(kind: str) -> tuple[str, ...]:
    return REQUIRED[kind] + OPTIONAL[kind]


def normalise_header(name: object) -> str:
    """'  Nama Perusahaan ' → 'nama_perusahaan' (offices retype headers with spaces and capitals)."""
    text = "" if name is None else str(name)
    return "_".join(text.replace("\ufeff", "").strip().lower().split())
