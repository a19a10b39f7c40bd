"""The import templates: column names exactly as agencies receive them (issue 3)."""

from __future__ import annotations

KINDS = ("companies", "workers", "inspections", "foreign_nationals", "lodgings", "activities")
# Foreign nationals (issue 17): the names in URLs and on the command line → import_batches.kind.
SLUGS = {"orang-asing": "foreign_nationals", "penginapan": "lodgings", "kegiatan": "activities"}
FOREIGN_KINDS = tuple(SLUGS.values())

REQUIRED: dict[str, tuple[str, ...]] = {
    "companies": ("nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
                  "latitude", "longitude", "rptka_berlaku_hingga"),
    "workers": ("nib", "nama_lengkap", "nomor_paspor", "kewarganegaraan", "jenis_kelamin", "jabatan",
                "nomor_rptka", "izin_berlaku_hingga", "nomor_itas", "itas_berlaku_hingga"),
    "inspections": ("nib", "tanggal", "tim", "temuan", "keterangan", "tindak_lanjut"),
    "foreign_nationals": ("nomor_paspor", "kewarganegaraan", "nama_lengkap", "jenis_kelamin", "tanggal_lahir",
                          "jenis_izin", "nomor_izin", "izin_berlaku_dari", "izin_berlaku_hingga", "tujuan", "sponsor",
                          "nib_sponsor", "alamat", "kode_desa", "latitude", "longitude", "tanggal_lapor"),
    "lodgings": ("nama_penginapan", "alamat_penginapan", "kode_desa", "latitude", "longitude", "nomor_paspor",
                 "kewarganegaraan", "nama_tamu", "tanggal_masuk", "tanggal_keluar"),
    "activities": ("tanggal", "jenis_kegiatan", "kode_kecamatan", "instansi", "nib_sasaran", "sasaran", "temuan",
                   "tindak_lanjut"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "companies": (),
    "workers": ("lokasi_kerja_lat", "lokasi_kerja_lon"),
    "inspections": (),
    "foreign_nationals": (),
    "lodgings": (),
    "activities": (),
}
# Personal data (UU 27/2022): never quoted back in a rejection. `alamat` is a person's residence in
# the orang_asing template (a company's address is never rejected); `sasaran` may name persons.
PERSONAL = frozenset({"nama_lengkap", "nomor_paspor", "nomor_itas", "nama_tamu", "nomor_izin", "alamat",
                      "tanggal_lahir", "sasaran"})


def columns(kind: str) -> tuple[str, ...]:
    return REQUIRED[kind] + OPTIONAL[kind]


def normalise_header(name: object) -> str:
    """'  Nama Perusahaan ' → 'nama_perusahaan' (offices retype headers with spaces and capitals)."""
    text = "" if name is None else str(name)
    return "_".join(text.replace("\ufeff", "").strip().lower().split())
