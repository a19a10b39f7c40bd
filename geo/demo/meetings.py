"""The demo's coordination meetings (rakor): two past meetings, their recommendations across the
agencies and the progress notes since, dated relative to the demo's day. Written in the demo's
transaction with the store's tables and rules (geo/meetings/store.py): each recommendation's history
starts with its creation (status 'baru', version 1) and every later entry raises its version; every
write has its audit record. Fixed texts and companies chosen by ordered queries: same data every run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from geo.auth import audit
from geo.demo.write import WIB

USER = "pantau demo"  # as the demo's import batches
COORDINATOR = "kesbangpol"
ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Meeting:
    key: str
    days_ago: int  # about; moved back to a Monday-Thursday
    quarters_back: int  # the period it covers: quarters before the demo day's
    place: str
    agencies: tuple[str, ...]
    minutes: str  # {period}: "triwulan I 2026"


@dataclass(frozen=True)
class Rec:
    meeting: str
    agency: str
    text: str  # {company}: the company picked
    due_after: int  # days after the meeting
    regions: tuple[str, ...] = ()
    company: str | None = None  # a key of _COMPANY
    group: dict | None = None
    # (days after the meeting, new status, note)
    notes: tuple[tuple[int, str, str], ...] = field(default_factory=tuple)


MEETINGS = (
    Meeting("lalu", 75, 1, "Aula Kesbangpol Provinsi Kalimantan Tengah, Palangka Raya",
            ("disnakertrans", "imigrasi", "kemendagri", "kesbangpol", "polda"),
            "Rapat koordinasi Tim Pengawasan Orang Asing Provinsi Kalimantan Tengah {period}, dipimpin "
            "Kepala Badan Kesbangpol Provinsi.\n\n"
            "Paparan: (1) data TKA dan orang asing lainnya dari Pantau per akhir triwulan; (2) tindak lanjut "
            "rekomendasi rakor sebelumnya: dua selesai, satu masih diproses Polda, satu tidak dapat "
            "dilaksanakan karena anggaran; (3) selisih jumlah TKA antara data Imigrasi dan Disnakertrans "
            "di beberapa perusahaan.\n\n"
            "Kesimpulan: pengawasan triwulan berikutnya diutamakan di Gunung Mas, Kotawaringin Timur dan "
            "kawasan tambang Barito Utara; setiap instansi melaporkan kemajuan tindak lanjut di Pantau "
            "paling lambat sepekan sebelum rakor berikutnya."),
    Meeting("sebelumnya", 165, 2, "Ruang Rapat Bajakah, Kantor Gubernur Kalimantan Tengah, Palangka Raya",
            ("disnakertrans", "imigrasi", "kesbangpol", "pemkab", "polda"),
            "Rapat koordinasi Tim Pengawasan Orang Asing Provinsi Kalimantan Tengah {period}, dipimpin "
            "Sekretaris Badan Kesbangpol Provinsi.\n\n"
            "Paparan: rekapitulasi TKA per kabupaten/kota, perusahaan dengan RPTKA yang telah habis masa "
            "berlakunya, dan hasil pemeriksaan gabungan di kawasan perkebunan sawit.\n\n"
            "Kesimpulan: data TKA Imigrasi dan Disnakertrans dicocokkan per perusahaan; pemeriksaan "
            "lapangan dilakukan terhadap perusahaan yang RPTKA-nya habis; kabupaten yang belum memiliki "
            "Tim POA diminta membentuknya."),
)

RECOMMENDATIONS = (
    Rec("sebelumnya", "imigrasi",
        "Imigrasi (Tim PORA) mencocokkan data izin tinggal TKA {company} dengan data RPTKA Disnakertrans: "
        "jumlah TKA yang dilaporkan kedua instansi berbeda.", 30, company="discrepancy",
        notes=((12, "diproses", "Surat permintaan daftar TKA dan ITAS dikirim ke perusahaan; data diterima "
                                "dari kantor perwakilan di Palangka Raya."),
               (27, "selesai", "Pencocokan selesai: selisih berasal dari TKA yang kontraknya berakhir tetapi "
                               "belum dilaporkan keluar ke Disnakertrans. Perusahaan diminta memutakhirkan "
                               "laporan RPTKA-nya."))),
    Rec("sebelumnya", "disnakertrans",
        "Disnakertrans melakukan pemeriksaan norma ketenagakerjaan di {company} terkait RPTKA yang telah "
        "habis masa berlakunya.", 60, company="rptka",
        notes=((20, "diproses", "Jadwal pemeriksaan disusun bersama UPT Pengawasan Ketenagakerjaan Wilayah Sampit."),
               (41, "diproses", "Pemeriksaan lapangan dilaksanakan; perusahaan belum dapat menunjukkan "
                                "pengesahan RPTKA perpanjangan."),
               (55, "selesai", "Nota pemeriksaan I diterbitkan; perusahaan telah mengajukan perpanjangan RPTKA "
                               "melalui TKA Online dan melampirkan bukti pengajuan."))),
    Rec("sebelumnya", "polda",
        "Polda Kalimantan Tengah bersama Polres setempat memeriksa keberadaan TKA di lokasi tambang {company}.",
        45, company="coal",
        notes=((30, "diproses", "Koordinasi dengan Polres dilakukan; pengecekan lapangan dijadwalkan setelah "
                                "jalan hauling dapat dilalui kembali."),)),
    Rec("sebelumnya", "pemkab",
        "Pemerintah Kabupaten Barito Timur membentuk Tim Pengawasan Orang Asing (Tim POA) tingkat kabupaten.",
        60, regions=("62.13",),
        notes=((50, "tidak_dapat_dilaksanakan", "Belum dapat dilaksanakan tahun ini: APBD tidak memuat kegiatan "
                                                "Tim POA. Diusulkan kembali dalam APBD perubahan."),)),
    Rec("lalu", "imigrasi",
        "Imigrasi memverifikasi alamat tinggal dan izin tinggal keluarga TKA berkewarganegaraan Tiongkok "
        "di Kabupaten Gunung Mas.", 45,
        group={"regency": "62.10", "purpose": "keluarga", "nationality": "CN",
               "label": "Keluarga TKA berkewarganegaraan Tiongkok (penyatuan keluarga) di Gunung Mas"},
        notes=((20, "diproses", "Data ITAS penyatuan keluarga ditarik dari SIMKIM; sebagian alamat perlu "
                                "diverifikasi ke lapangan bersama Kecamatan Kurun."),)),
    Rec("lalu", "disnakertrans",
        "Disnakertrans menindaklanjuti temuan jabatan TKA yang tidak sesuai RPTKA di {company}.", 30,
        company="position",
        notes=((10, "diproses", "Surat panggilan klarifikasi dikirim ke bagian personalia perusahaan."),
               (28, "selesai", "Klarifikasi selesai; perusahaan mengajukan perubahan jabatan dalam RPTKA dan "
                               "menerima surat teguran tertulis."))),
    Rec("lalu", "disnakertrans",
        "Disnakertrans memeriksa izin TKA di perusahaan perkebunan sawit Kotawaringin Timur yang RPTKA atau "
        "izin tinggal TKA-nya habis dalam 90 hari.", 95, regions=("62.02",),
        notes=((35, "diproses", "Daftar perusahaan sasaran disusun dari data Pantau; pemeriksaan tahap pertama "
                                "di Kecamatan Mentaya Hulu dan Parenggean telah dilaksanakan."),)),
    Rec("lalu", "polda",
        "Polda Kalimantan Tengah melaporkan hasil pengawasan keberadaan TKA di kawasan tambang Barito Utara "
        "dan Murung Raya.", 40, regions=("62.05", "62.12")),
    Rec("lalu", "kesbangpol",
        "Kesbangpol menyiapkan rakor triwulan berikutnya beserta bahan paparan dari Pantau dan mengundang "
        "seluruh pemerintah kabupaten/kota.", 100),
    Rec("lalu", "pemkab",
        "Pemerintah Kota Palangka Raya memutakhirkan data penginapan yang menerima tamu asing dan "
        "menyampaikannya kepada Imigrasi.", 90, regions=("62.71",)),
    Rec("lalu", "imigrasi",
        "Imigrasi mengawasi wisatawan asing di kawasan Taman Nasional Tanjung Puting dan memastikan "
        "pengelola penginapan di Kumai melaporkan tamu asing.", 60,
        group={"regency": "62.01", "purpose": "wisata", "nationality": None,
               "label": "Wisatawan asing di Kotawaringin Barat (Tanjung Puting, Kumai)"},
        notes=((40, "diproses", "Sosialisasi kewajiban melaporkan tamu asing kepada pengelola penginapan dan "
                                "kapal wisata di Kumai."),
               (55, "selesai", "Pengawasan bersama di Kumai dan Tanjung Puting selesai; tidak ditemukan "
                               "pelanggaran izin tinggal."))),
)

# The company a recommendation names, chosen from the demo's data (first by the order given).
_COMPANY = {
    # Where Imigrasi and Disnakertrans count the most different numbers of workers.
    "discrepancy": """
        SELECT c.id, c.name, c.regency_code FROM companies c
          JOIN company_reports i ON i.company_id = c.id AND i.agency = 'imigrasi'
          JOIN company_reports d ON d.company_id = c.id AND d.agency = 'disnakertrans'
         ORDER BY abs(coalesce((i.reported_values->>'jumlah_tka')::int, 0)
                      - coalesce((d.reported_values->>'jumlah_tka')::int, 0)) DESC, c.nib LIMIT 1""",
    # A palm-oil company of Kotawaringin Timur whose RPTKA has ended.
    "rptka": """
        SELECT c.id, c.name, c.regency_code FROM companies c
         ORDER BY coalesce(c.rptka_valid_until < %(today)s, false) DESC, (c.sector = 'perkebunan_sawit') DESC,
                  (c.regency_code = '62.02') DESC, c.nib LIMIT 1""",
    # A coal mine of Barito Utara with the most workers.
    "coal": """
        SELECT c.id, c.name, c.regency_code FROM companies c
         ORDER BY (c.sector = 'pertambangan_batubara') DESC, (c.regency_code = '62.05') DESC,
                  (SELECT count(*) FROM foreign_workers w WHERE w.company_id = c.id) DESC, c.nib LIMIT 1""",
    # The latest inspection finding positions other than the RPTKA's.
    "position": """
        SELECT c.id, c.name, c.regency_code FROM companies c
          LEFT JOIN LATERAL (SELECT max(i.inspected_on) AS last FROM inspections i
                              WHERE i.company_id = c.id AND i.finding = 'position_mismatch') i ON true
         ORDER BY i.last DESC NULLS LAST, c.nib LIMIT 1""",
}


def held_on(meeting: Meeting, today: date) -> date:
    day = today - timedelta(days=meeting.days_ago)
    return day - timedelta(days=max(0, day.weekday() - 3))  # a weekday, Monday to Thursday


def period(meeting: Meeting, today: date) -> tuple[str, str]:
    """('2026-Q1', 'triwulan I 2026'): the quarter `quarters_back` before the demo day's."""
    index = today.year * 4 + (today.month - 1) // 3 - meeting.quarters_back
    year, quarter = divmod(index, 4)
    return f"{year}-Q{quarter + 1}", f"triwulan {ROMAN[quarter]} {year}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), WIB)


def _audit(cur, action: str, agency: str, target: str, detail: dict) -> None:
    audit.record(cur, action, username=USER, agency=agency, target=target, detail={**detail, "demo": True})


def write_meetings(cur, today: date) -> dict[str, int]:
    """Insert the meetings, recommendations and their histories (the caller's transaction)."""
    ids: dict[str, int] = {}
    days: dict[str, date] = {}
    for m in sorted(MEETINGS, key=lambda m: -m.days_ago):  # the older first: ids follow time
        day = held_on(m, today)
        code, label = period(m, today)
        cur.execute("""INSERT INTO meetings (held_on, place, period, agencies, minutes, created_by, created_at,
                                             updated_at)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (day, m.place, code, sorted(m.agencies), m.minutes.format(period=label), USER,
                     _at(day + timedelta(days=1), 14), _at(day + timedelta(days=1), 14)))
        ids[m.key], days[m.key] = cur.fetchone()[0], day
        _audit(cur, "meeting.create", COORDINATOR, f"meeting:{ids[m.key]}",
               {"held_on": day.isoformat(), "period": code, "agencies": sorted(m.agencies)})
    notes = 0
    for r in sorted(RECOMMENDATIONS, key=lambda r: days[r.meeting]):
        day = days[r.meeting]
        company = None
        if r.company:
            cur.execute(_COMPANY[r.company], {"today": today})
            company = cur.fetchone()
        regions = list(r.regions)
        for extra in ((company[2],) if company else ()) + ((r.group["regency"],) if r.group else ()):
            if extra not in regions:
                regions.append(extra)
        text = r.text.format(company=company[1] if company else "perusahaan terkait")
        created = _at(day + timedelta(days=1), 15)
        history = [(created, None, "baru", "", COORDINATOR)]
        for after, status, note in r.notes:
            history.append((_at(day + timedelta(days=after), 10), history[-1][2], status, note, r.agency))
        cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, status, regions, version,
                                                    created_by, created_at, updated_at)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (ids[r.meeting], text, r.agency, day + timedelta(days=r.due_after), history[-1][2], regions,
                     len(history), USER, created, history[-1][0]))
        rec_id = cur.fetchone()[0]
        target = f"recommendation:{rec_id}"
        if company:
            cur.execute("INSERT INTO recommendation_companies (recommendation_id, company_id) VALUES (%s, %s)",
                        (rec_id, company[0]))
        if r.group:
            g = r.group
            cur.execute("""INSERT INTO recommendation_groups (recommendation_id, regency_code, purpose, nationality,
                                                              label) VALUES (%s, %s, %s, %s, %s)""",
                        (rec_id, g["regency"], g["purpose"], g["nationality"], g["label"]))
        for version, (at, old, new, note, agency) in enumerate(history, start=1):
            cur.execute("""INSERT INTO recommendation_notes (recommendation_id, at, username, agency, status_from,
                                                             status_to, note, version)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                        (rec_id, at, USER, agency, old, new, note, version))
            if old is None:
                _audit(cur, "recommendation.create", COORDINATOR, target,
                       {"meeting_id": ids[r.meeting], "agency": r.agency,
                        "due_date": (day + timedelta(days=r.due_after)).isoformat(), "regions": regions,
                        "company_ids": [company[0]] if company else []})
            else:
                _audit(cur, "recommendation.update", agency, target,
                       {"status": [old, new], "version": [version - 1, version], "note": bool(note), "evidence": []})
        notes += len(history)
    return {"meetings": len(MEETINGS), "recommendations": len(RECOMMENDATIONS), "recommendation_notes": notes}
