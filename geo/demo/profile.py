"""The recipe of the synthetic province: where companies are, in which sectors, how many foreign
workers they employ and from where. Figures follow ../shared/docs/DOMAIN.md (Kalimantan Tengah)."""

from __future__ import annotations

from dataclasses import dataclass

# Regency -> (share of all companies, share of all workers, capital district, {sector: weight}).
# Worker shares echo the ~699-worker count: Gunung Mas 238 (power-plant builders), Palangka Raya 29,
# Murung Raya 18, Pulang Pisau 18; the rest mostly palm oil and coal. Sukamara has none.


@dataclass(frozen=True)
class Regency:
    code: str
    company_share: float
    worker_share: float
    capital: str  # district code of the regency seat: where services and trade cluster
    seat: tuple[float, float]  # approximate lon/lat of the seat town: town offices cluster round it
    sectors: dict[str, float]


REGENCIES: tuple[Regency, ...] = (
    Regency("62.10", 14, 0.340, "62.10.02", (113.87, -1.11),  # Gunung Mas (Kuala Kurun)
            {"energi": 4, "konstruksi": 3, "pertambangan_zirkon": 3, "pertambangan_emas": 2, "jasa": 2}),
    Regency("62.02", 24, 0.150, "62.02.06", (112.95, -2.54),  # Kotawaringin Timur (Sampit)
            {"perkebunan_sawit": 18, "industri_pengolahan": 3, "perdagangan": 3}),
    Regency("62.01", 16, 0.090, "62.01.02", (111.63, -2.68),  # Kotawaringin Barat (Pangkalan Bun)
            {"perkebunan_sawit": 12, "industri_pengolahan": 2, "smelter": 1, "perdagangan": 1}),
    Regency("62.07", 14, 0.080, "62.07.01", (112.55, -3.37),  # Seruyan (Kuala Pembuang)
            {"perkebunan_sawit": 13, "industri_pengolahan": 1}),
    Regency("62.06", 12, 0.070, "62.06.02", (113.4, -1.89),  # Katingan (Kasongan)
            {"perkebunan_sawit": 7, "pertambangan_zirkon": 3, "pertambangan_emas": 2}),
    Regency("62.03", 10, 0.050, "62.03.01", (114.39, -3.0),  # Kapuas (Kuala Kapuas)
            {"perkebunan_sawit": 6, "pertambangan_emas": 1, "pertambangan_zirkon": 1, "kehutanan": 2}),
    Regency("62.71", 22, 0.045, "62.71.03", (113.92, -2.21),  # Palangka Raya (Jekan Raya)
            {"jasa": 8, "perdagangan": 6, "pendidikan": 4, "konstruksi": 3, "energi": 1}),
    Regency("62.05", 10, 0.050, "62.05.05", (114.89, -0.95),  # Barito Utara (Muara Teweh)
            {"pertambangan_batubara": 8, "energi": 2}),
    Regency("62.04", 8, 0.040, "62.04.06", (114.85, -1.71),  # Barito Selatan (Buntok)
            {"pertambangan_batubara": 5, "energi": 2, "perkebunan_sawit": 1}),
    Regency("62.12", 8, 0.030, "62.12.01", (114.57, -0.62),  # Murung Raya (Puruk Cahu)
            {"pertambangan_batubara": 6, "pertambangan_emas": 2}),
    Regency("62.11", 5, 0.025, "62.11.05", (114.25, -2.75),  # Pulang Pisau
            {"kehutanan": 2, "perkebunan_sawit": 2, "konstruksi": 1}),
    Regency("62.13", 4, 0.020, "62.13.01", (115.17, -2.05),  # Barito Timur (Tamiang Layang)
            {"pertambangan_batubara": 3, "energi": 1}),
    Regency("62.09", 3, 0.020, "62.09.03", (111.2, -2.1),  # Lamandau (Nanga Bulik)
            {"perkebunan_sawit": 3}),
)
EXCLUDED_REGENCIES = ("62.08",)  # Sukamara: no foreign workers on record

# Where in a regency a sector's head offices lie: 'town' = near the seat (services, trade,
# mills), 'spread' = anywhere in the regency weighted by area (plantations, mines).
# Gunung Mas power-plant construction sits in Rungan and Kurun.
TOWN_SECTORS = frozenset({"jasa", "perdagangan", "pendidikan", "industri_pengolahan", "smelter"})
SECTOR_DISTRICTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("62.10", "energi"): ("62.10.05", "62.10.02"),
    ("62.10", "konstruksi"): ("62.10.05", "62.10.02"),
}
# Sectors whose workers often work at a site (mine, plantation, plant) far from the head office.
FIELD_SECTORS = frozenset({"perkebunan_sawit", "kehutanan", "pertambangan_batubara", "pertambangan_emas",
                           "pertambangan_zirkon", "energi"})
FIELD_SITE_COMPANY_SHARE = 0.6   # of field-sector companies with a separate work site
FIELD_SITE_WORKER_SHARE = 0.7    # of their workers posted at that site

# Relative size of a company's foreign workforce by sector (power-plant builders are large).
SECTOR_WORKFORCE: dict[str, float] = {
    "energi": 4.0, "konstruksi": 3.0, "pertambangan_batubara": 1.4, "pertambangan_zirkon": 1.2,
    "pertambangan_emas": 1.0, "smelter": 2.0, "industri_pengolahan": 1.0, "perkebunan_sawit": 1.0,
    "kehutanan": 0.8, "perdagangan": 0.5, "pendidikan": 0.6, "jasa": 0.6,
}

KBLI: dict[str, str] = {
    "perkebunan_sawit": "01262", "kehutanan": "02111", "pertambangan_batubara": "05100",
    "pertambangan_emas": "07301", "pertambangan_zirkon": "07299", "smelter": "24202",
    "energi": "35101", "konstruksi": "42211", "industri_pengolahan": "10431",
    "perdagangan": "46100", "pendidikan": "85499", "jasa": "70209",
}
NAME_WORD: dict[str, str] = {
    "perkebunan_sawit": "Sawit", "kehutanan": "Rimba", "pertambangan_batubara": "Batubara",
    "pertambangan_emas": "Emas", "pertambangan_zirkon": "Zirkon", "smelter": "Smelter",
    "energi": "Energi", "konstruksi": "Konstruksi", "industri_pengolahan": "Olah",
    "perdagangan": "Niaga", "pendidikan": "Edukasi", "jasa": "Jasa",
}
NAME_SUFFIX = ("Nusantara", "Borneo", "Kahayan", "Mentaya", "Barito", "Lestari", "Makmur", "Raya")

# Nationalities (ISO 3166-1 alpha-2). Province-wide shares the sector mixes below add up to (for the
# profiled sector/regency weights); tests hold the data to them. Close to the manpower office's
# Jan-Sep 2023 count: China 92, Malaysia 80, Korea 27, Japan 8, USA/India/Sri Lanka 5 each,
# Australia 4, Philippines 3, UK 2 (of 245).
NATIONALITY_TARGET: dict[str, float] = {
    "CN": 0.395, "MY": 0.32, "KR": 0.09, "IN": 0.045, "JP": 0.04, "LK": 0.03, "AU": 0.028,
    "US": 0.02, "PH": 0.019, "GB": 0.015,
}
# Per sector: who a company of that sector brings. Palm oil staff are mostly Malaysian (44 of 56
# in Kotawaringin Timur, 2017).
SECTOR_NATIONALITY: dict[str, dict[str, float]] = {
    "perkebunan_sawit": {"MY": 0.78, "IN": 0.06, "LK": 0.07, "CN": 0.03, "PH": 0.03, "GB": 0.02, "AU": 0.01},
    "kehutanan": {"MY": 0.45, "CN": 0.30, "KR": 0.15, "JP": 0.10},
    "pertambangan_batubara": {"CN": 0.40, "KR": 0.18, "AU": 0.12, "IN": 0.12, "US": 0.06, "PH": 0.06, "GB": 0.06},
    "pertambangan_emas": {"CN": 0.70, "KR": 0.10, "AU": 0.10, "US": 0.05, "MY": 0.05},
    "pertambangan_zirkon": {"CN": 0.75, "KR": 0.10, "AU": 0.08, "IN": 0.07},
    "smelter": {"CN": 0.75, "KR": 0.10, "JP": 0.10, "IN": 0.05},
    "energi": {"CN": 0.74, "KR": 0.16, "JP": 0.07, "US": 0.03},
    "konstruksi": {"CN": 0.72, "KR": 0.16, "JP": 0.08, "MY": 0.04},
    "industri_pengolahan": {"MY": 0.55, "CN": 0.20, "IN": 0.15, "LK": 0.10},
    "perdagangan": {"CN": 0.30, "MY": 0.25, "KR": 0.15, "JP": 0.15, "IN": 0.10, "LK": 0.05},
    "pendidikan": {"US": 0.35, "GB": 0.25, "AU": 0.20, "PH": 0.10, "JP": 0.10},
    "jasa": {"JP": 0.25, "KR": 0.20, "CN": 0.15, "US": 0.15, "AU": 0.10, "PH": 0.10, "GB": 0.05},
}

# Position levels: professional > consultant > manager > director (Kemnaker), commissioners few.
LEVEL_SHARES: dict[str, float] = {
    "profesional": 0.48, "konsultan": 0.22, "manajer": 0.16, "direktur": 0.09, "komisaris": 0.05,
}
# Job titles by level (no HR/personnel posts: foreigners may not hold them, PP 34/2021).
POSITIONS: dict[str, tuple[str, ...]] = {
    "konsultan": ("Konsultan Teknik", "Konsultan Lingkungan", "Konsultan Keuangan", "Konsultan Pertambangan"),
    "manajer": ("Manajer Proyek", "Manajer Kebun", "Manajer Produksi", "Manajer Tambang", "Manajer Pabrik"),
    "direktur": ("Direktur Utama", "Direktur Operasional", "Direktur Teknik"),
    "komisaris": ("Komisaris", "Komisaris Utama"),
}
# Professionals' titles depend on what the company does.
_PLANT = ("Ahli Agronomi", "Ahli Pengolahan Kelapa Sawit", "Ahli Teknik Mesin")
_MINE = ("Ahli Geologi", "Ahli K3 Pertambangan", "Ahli Teknik Mesin")
_BUILD = ("Ahli Teknik Sipil", "Ahli Kelistrikan", "Tenaga Ahli Instrumentasi", "Ahli Teknik Mesin")
PROFESSIONALS: dict[str, tuple[str, ...]] = {
    "perkebunan_sawit": _PLANT, "kehutanan": ("Ahli Kehutanan", "Ahli Teknik Mesin"),
    "industri_pengolahan": _PLANT, "pertambangan_batubara": _MINE, "pertambangan_emas": _MINE,
    "pertambangan_zirkon": _MINE, "smelter": _BUILD, "energi": _BUILD, "konstruksi": _BUILD,
    "pendidikan": ("Guru Bahasa Inggris", "Dosen Tamu"),
    "perdagangan": ("Tenaga Ahli Pemasaran", "Ahli Rantai Pasok"),
    "jasa": ("Ahli Teknologi Informasi", "Tenaga Ahli Keuangan"),
}
MALE_SHARE = 0.86  # 144,334 of 168,048 TKA in Indonesia, 2023

# Permit expiry relative to today, so every run shows a current picture: (share, first day, last day).
PERMIT_BANDS: tuple[tuple[float, int, int], ...] = (
    (0.08, -300, -1),    # expired
    (0.05, 0, 30),       # expires within 30 days
    (0.09, 31, 90),      # within 90 days
    (0.78, 91, 700),     # valid
)
# RPTKA validity of companies: mostly valid, a few lapsed.
RPTKA_BANDS: tuple[tuple[float, int, int], ...] = (
    (0.06, -200, -1), (0.06, 0, 30), (0.08, 31, 90), (0.80, 91, 720),
)

# Inspections: findings and what followed, in Indonesian as teams write them.
FINDING_SHARES: dict[str, float] = {
    "none": 0.68, "expired_permit": 0.11, "position_mismatch": 0.07, "location_mismatch": 0.05,
    "no_permit": 0.05, "other": 0.04,
}
FINDING_TEXT: dict[str, tuple[str, tuple[str, ...]]] = {
    "none": ("Dokumen TKA diperiksa lengkap dan sesuai.", ("Tidak ada tindak lanjut.",)),
    "expired_permit": ("Ditemukan TKA dengan ITAS/izin kerja yang telah habis masa berlakunya.",
                       ("Teguran tertulis dan perusahaan diminta memperpanjang izin dalam 14 hari.",
                        "Pemanggilan pimpinan perusahaan ke Kantor Imigrasi.")),
    "position_mismatch": ("Jabatan TKA di lapangan tidak sesuai dengan jabatan dalam RPTKA.",
                          ("Rekomendasi Disnakertrans untuk penyesuaian RPTKA.",
                           "Pembinaan kepada perusahaan oleh Disnakertrans.")),
    "location_mismatch": ("Lokasi kerja TKA berbeda dengan alamat yang dilaporkan.",
                          ("Perusahaan diminta memperbarui data lokasi kerja dan melapor melalui APOA.",)),
    "no_permit": ("TKA bekerja menggunakan visa kunjungan tanpa izin kerja.",
                  ("Pemeriksaan (BAP) oleh Imigrasi; proses pendetensian dan deportasi.",
                   "Pemanggilan perusahaan dan rekomendasi penangkalan.")),
    "other": ("Keberadaan TKA tidak dilaporkan melalui APOA.",
              ("Pembinaan kewajiban pelaporan APOA kepada perusahaan.",)),
}
# Teams as agencies go out together (sorted agency codes).
TEAMS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("imigrasi", "kesbangpol", "pemkab", "polda"), 0.35),  # Tim PORA
    (("disnakertrans", "imigrasi", "kesbangpol"), 0.25),
    (("imigrasi", "polda"), 0.15),
    (("disnakertrans",), 0.15),
    (("kesbangpol", "pemkab"), 0.10),  # Tim POA
)
INSPECTION_DAYS = 730  # inspections over the two years before today

# Deliberate disagreements between Imigrasi and Disnakertrans (at least one of each kind).
DISCREPANCY_SHARE = 0.02  # of companies, per kind
LOCATION_MISMATCH_SHARE = 0.02  # of companies whose declared regency differs from the computed one

DEFAULT_COMPANIES = 150
DEFAULT_WORKERS = 700
DEFAULT_INSPECTIONS = 400
DEFAULT_SEED = 6200  # Kalimantan Tengah's province code, times 100
DEFAULT_FOREIGN_NATIONALS = 300  # persons with a stay other than the workers (families included)
DEFAULT_LODGINGS = 40
DEFAULT_LODGING_STAYS = 480
DEFAULT_ACTIVITIES = 160

# --- Foreign nationals other than the workers (issue 17) ------------------------------------------
# Persons with a stay other than work, by purpose (shares of Size.foreign_nationals). Families follow
# the workers; visitors to Tanjung Puting and the researchers of the peat and orangutan projects are
# the next groups.
PURPOSE_SHARES: dict[str, float] = {
    "keluarga": 0.30, "wisata": 0.20, "studi": 0.08, "penelitian": 0.09, "sosial": 0.07, "keagamaan": 0.06,
    "investasi": 0.06, "jurnalistik": 0.03, "lansia": 0.04, "lainnya": 0.04,
}
# Share of workers whose ITAS Imigrasi also reports as a stay (purpose 'bekerja', sponsored by the employer).
WORKER_STAY_SHARE = 0.3
# Permit types per purpose: (shares, days of validity).
PURPOSE_PERMITS: dict[str, dict[str, float]] = {
    "keluarga": {"itas": 0.85, "itap": 0.15},
    "studi": {"itas": 0.8, "visa_kunjungan": 0.2},
    "penelitian": {"itas": 0.6, "visa_kunjungan": 0.4},
    "keagamaan": {"itas": 0.6, "itap": 0.4},
    "sosial": {"itas": 0.5, "visa_kunjungan": 0.5},
    "jurnalistik": {"visa_kunjungan": 0.8, "itas": 0.2},
    "investasi": {"itas": 0.75, "itap": 0.25},
    "lansia": {"itas": 0.6, "itap": 0.4},
    "wisata": {"visa_kunjungan": 0.25, "voa": 0.45, "bebas_visa": 0.30},
    "lainnya": {"diplomatik": 0.6, "visa_kunjungan": 0.4},
}
PERMIT_DAYS: dict[str, int] = {"itas": 365, "itap": 1825, "visa_kunjungan": 60, "voa": 30, "bebas_visa": 30,
                               "diplomatik": 730}
# How far back a permit of each type may have begun (days before today): short visits are often over.
PERMIT_START_DAYS: dict[str, int] = {"itas": 330, "itap": 1500, "visa_kunjungan": 150, "voa": 90,
                                     "bebas_visa": 90, "diplomatik": 600}
PERMIT_PREFIX: dict[str, str | None] = {"itas": "ITASDEMO", "itap": "ITAPDEMO", "visa_kunjungan": "VKDEMO",
                                        "voa": "VOADEMO", "bebas_visa": None, "diplomatik": "DIPDEMO"}
# Who comes for what (ISO 3166-1 alpha-2). Families take their worker's nationality, investors
# their company's sector mix.
PURPOSE_NATIONALITY: dict[str, dict[str, float]] = {
    "studi": {"MY": 0.2, "TH": 0.2, "TL": 0.15, "PH": 0.1, "CN": 0.1, "KR": 0.1, "JP": 0.05, "AU": 0.1},
    "penelitian": {"GB": 0.2, "NL": 0.2, "DE": 0.12, "US": 0.12, "AU": 0.1, "JP": 0.16, "FR": 0.1},
    "keagamaan": {"US": 0.3, "KR": 0.25, "AU": 0.1, "PH": 0.15, "DE": 0.1, "NL": 0.1},
    "sosial": {"GB": 0.2, "NL": 0.15, "DE": 0.15, "US": 0.15, "AU": 0.15, "JP": 0.1, "KR": 0.1},
    "jurnalistik": {"US": 0.2, "GB": 0.2, "AU": 0.2, "DE": 0.15, "FR": 0.1, "JP": 0.1, "SG": 0.05},
    "lansia": {"NL": 0.3, "GB": 0.2, "AU": 0.2, "JP": 0.15, "US": 0.1, "DE": 0.05},
    "wisata": {"NL": 0.15, "DE": 0.15, "GB": 0.12, "FR": 0.1, "AU": 0.1, "US": 0.08, "MY": 0.12, "SG": 0.1,
               "JP": 0.08},
    "lainnya": {"JP": 0.4, "KR": 0.2, "AU": 0.2, "US": 0.1, "DE": 0.1},
}
# Share of men per purpose (families: the spouse is of the other sex, children either).
PURPOSE_MALE: dict[str, float] = {
    "studi": 0.55, "penelitian": 0.55, "keagamaan": 0.65, "sosial": 0.45, "jurnalistik": 0.6,
    "investasi": 0.85, "lansia": 0.6, "wisata": 0.5, "lainnya": 0.7,
}
# Age range (years) per purpose.
PURPOSE_AGE: dict[str, tuple[int, int]] = {
    "studi": (19, 30), "penelitian": (24, 62), "keagamaan": (26, 68), "sosial": (21, 45), "jurnalistik": (25, 58),
    "investasi": (30, 66), "lansia": (56, 82), "wisata": (18, 72), "lainnya": (28, 60),
}
# Sponsors named in the stay when not a company (drawn uniformly).
PURPOSE_SPONSORS: dict[str, tuple[str, ...]] = {
    "studi": ("Universitas Palangka Raya",),
    "penelitian": ("BRIN", "CIMTROP Universitas Palangka Raya", "Yayasan Borneo Orangutan Survival",
                   "Borneo Nature Foundation", "Universitas Palangka Raya"),
    "keagamaan": ("Gereja Kalimantan Evangelis", "Keuskupan Palangka Raya", "Yayasan Misi Contoh Kalimantan"),
    "sosial": ("Yayasan Borneo Orangutan Survival", "Orangutan Foundation International", "WWF Indonesia",
               "Yayasan Contoh Peduli Gambut"),
    "jurnalistik": ("Kementerian Komunikasi dan Digital",),
    "lansia": ("PT Contoh Wisata Lansia (agen)",),
    "wisata": (),
    "lainnya": ("Kementerian Luar Negeri", "JICA", "Kedutaan Besar (kunjungan dinas)"),
}
# Where each purpose lives: (kind, where, weight). 'town' = villages of a named town (TOWNS),
# 'district' = any village of the district; 'company' = next to the sponsoring company.
PURPOSE_PLACES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "studi": (("district", "62.71.03", 0.8), ("town", "Palangka Raya", 0.2)),  # UPR, Jekan Raya
    "penelitian": (("district", "62.71.04", 0.3), ("town", "Palangka Raya", 0.15),  # Sebangau peat
                   ("district", "62.11.07", 0.15), ("district", "62.11.08", 0.1),  # Pulang Pisau peat
                   ("district", "62.06.01", 0.15), ("district", "62.06.09", 0.05),  # Katingan peat
                   ("district", "62.01.01", 0.1)),  # Tanjung Puting
    "keagamaan": (("town", "Palangka Raya", 0.35), ("town", "Kuala Kapuas", 0.2), ("town", "Sampit", 0.15),
                  ("town", "Muara Teweh", 0.1), ("town", "Buntok", 0.1), ("town", "Kuala Kurun", 0.1)),
    "sosial": (("town", "Palangka Raya", 0.35), ("district", "62.03.09", 0.2),  # Mawas, Mantangai
               ("town", "Pangkalan Bun", 0.2), ("district", "62.01.01", 0.1), ("district", "62.11.07", 0.15)),
    "jurnalistik": (("town", "Palangka Raya", 0.6), ("town", "Pangkalan Bun", 0.2), ("town", "Sampit", 0.2)),
    "keluarga": (("company", "", 1.0),),  # by the worker's company
    "investasi": (("company", "", 1.0),),
    "lansia": (("town", "Palangka Raya", 0.5), ("town", "Pangkalan Bun", 0.3), ("town", "Sampit", 0.2)),
    "wisata": (("district", "62.01.01", 0.55), ("town", "Kumai", 0.15), ("town", "Pangkalan Bun", 0.15),
               ("town", "Palangka Raya", 0.15)),  # Tanjung Puting
    "lainnya": (("town", "Palangka Raya", 0.8), ("town", "Pulang Pisau", 0.2)),
}
RESIDENCE_POINT_SHARE = 0.55  # of residences reported with a point (else the village stands in)
# Dependants a worker brings, by position level (weights of being drawn; at most FAMILY_MAX each).
FAMILY_WEIGHT: dict[str, float] = {"direktur": 4, "komisaris": 3, "manajer": 3, "konsultan": 1, "profesional": 1}
FAMILY_MAX = 4

# Towns (name -> (regency, lon, lat)): their villages within TOWN_RADIUS_M of the centre hold the
# lodgings; LODGING_TOWNS weights how many establishments each has.
TOWNS: dict[str, tuple[str, float, float]] = {
    "Palangka Raya": ("62.71", 113.92, -2.21), "Sampit": ("62.02", 112.95, -2.54),
    "Pangkalan Bun": ("62.01", 111.63, -2.68), "Kumai": ("62.01", 111.72, -2.74),
    "Muara Teweh": ("62.05", 114.89, -0.95), "Kuala Kapuas": ("62.03", 114.39, -3.0),
    "Kuala Kurun": ("62.10", 113.87, -1.11), "Kasongan": ("62.06", 113.4, -1.89),
    "Pulang Pisau": ("62.11", 114.25, -2.75), "Buntok": ("62.04", 114.85, -1.71),
    "Puruk Cahu": ("62.12", 114.57, -0.62), "Tamiang Layang": ("62.13", 115.17, -2.05),
    "Kuala Pembuang": ("62.07", 112.55, -3.37),
}
TOWN_RADIUS_M = 4000
LODGING_TOWNS: dict[str, float] = {
    "Palangka Raya": 9, "Sampit": 5, "Pangkalan Bun": 5, "Kumai": 3, "Muara Teweh": 3, "Kuala Kapuas": 3,
    "Kuala Kurun": 2, "Buntok": 2, "Kasongan": 1, "Pulang Pisau": 1, "Puruk Cahu": 2, "Tamiang Layang": 1,
    "Kuala Pembuang": 1,
}
LODGING_KINDS = ("Hotel", "Hotel", "Losmen", "Wisma", "Penginapan", "Guest House")
LODGING_POINT_SHARE = 0.85
# Who the guests are (shares of Size.lodging_stays): persons with a stay (visitors first), workers
# on a business trip, and guests known only from the lodgings' reports.
GUEST_SHARES: dict[str, float] = {"stay": 0.4, "worker": 0.3, "visitor": 0.3}
GUEST_PURPOSE_WEIGHT: dict[str, float] = {
    "wisata": 6, "jurnalistik": 3, "penelitian": 2, "sosial": 1.5, "investasi": 1.5, "lainnya": 1.5,
    "keagamaan": 0.5, "studi": 0.5, "lansia": 0.5, "keluarga": 0.3,
}
VISITOR_NATIONALITY: dict[str, float] = {"MY": 0.3, "SG": 0.15, "CN": 0.2, "KR": 0.08, "JP": 0.07, "AU": 0.05,
                                         "NL": 0.05, "DE": 0.05, "US": 0.05}
GUEST_DAYS = 540            # guest reports over the last ~18 months
OPEN_CHECKOUT_SHARE = 0.08  # check-outs never reported (counted 30 days)

# Monitoring activities over the last 18 months: kinds, who takes part, what is written down.
ACTIVITY_DAYS = 548
ACTIVITY_KINDS: dict[str, float] = {"rapat": 0.25, "operasi_gabungan": 0.2, "pengawasan_lapangan": 0.4,
                                    "sosialisasi": 0.15}
ACTIVITY_TEAMS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "rapat": ((("disnakertrans", "imigrasi", "kesbangpol", "pemkab", "polda"), 0.6),
              (("imigrasi", "kesbangpol", "pemkab"), 0.4)),
    "operasi_gabungan": ((("imigrasi", "kesbangpol", "pemkab", "polda"), 0.7),
                         (("disnakertrans", "imigrasi", "polda"), 0.3)),
    "pengawasan_lapangan": ((("imigrasi", "kesbangpol"), 0.4), (("disnakertrans", "imigrasi"), 0.3),
                            (("kesbangpol", "pemkab"), 0.3)),
    "sosialisasi": ((("imigrasi", "kesbangpol", "pemkab"), 0.6), (("kesbangpol",), 0.4)),
}
# The reporting agency: this one when it took part, else the team's first.
ACTIVITY_REPORTER: dict[str, str] = {"rapat": "kesbangpol", "operasi_gabungan": "imigrasi",
                                     "pengawasan_lapangan": "imigrasi", "sosialisasi": "kesbangpol"}
# What is written down per kind: (finding, the follow-ups it may get).
ACTIVITY_TEXT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "rapat": (("Pembahasan data orang asing triwulan ini; data Imigrasi dan Disnakertrans belum sama.",
               ("Pemutakhiran data bersama sebelum rapat berikutnya.",)),
              ("Koordinasi pelaporan orang asing oleh penginapan dan perusahaan.",
               ("Surat edaran kepada penginapan tentang kewajiban lapor tamu asing.",)),
              ("Evaluasi hasil pengawasan lapangan triwulan sebelumnya.",
               ("Jadwal pengawasan lapangan triwulan berikutnya disepakati.",))),
    "operasi_gabungan": (("Seluruh orang asing yang diperiksa memiliki izin tinggal yang sah.", ("Tidak ada tindak lanjut.",)),
                         ("Ditemukan orang asing dengan izin tinggal yang telah habis masa berlakunya.",
                          ("Pemeriksaan lanjutan oleh Imigrasi.", "Teguran tertulis kepada penjamin.")),
                         ("Orang asing bekerja di luar lokasi yang tercantum dalam izin.",
                          ("Pemeriksaan lanjutan oleh Imigrasi.", "Rekomendasi Disnakertrans kepada perusahaan."))),
    "pengawasan_lapangan": (("Keberadaan orang asing sesuai dengan data yang dilaporkan.", ("Tidak ada tindak lanjut.",)),
                            ("Alamat tinggal orang asing berbeda dengan yang dilaporkan.",
                             ("Penjamin diminta memperbarui alamat dalam 7 hari.",)),
                            ("Penginapan belum melaporkan tamu asing melalui APOA.",
                             ("Pembinaan kewajiban pelaporan APOA.",))),
    "sosialisasi": (("Sosialisasi kewajiban pelaporan orang asing kepada perusahaan dan penginapan.",
                     ("Tidak ada tindak lanjut.",)),
                    ("Sosialisasi aplikasi APOA kepada pengelola penginapan.",
                     ("Pendampingan pendaftaran APOA bagi penginapan.",))),
}
ACTIVITY_TARGETS_MAX = 3  # companies named per field activity
