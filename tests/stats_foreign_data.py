"""A known dataset of foreign nationals for the statistics tests (issue 17), written as files (the
boundaries' GeoJSON is the test mirror's; companies, workers, orang_asing, penginapan and kegiatan
CSVs in the import templates' columns where one exists), loaded into a database by plain SQL
inserts, and counted again independently from the same files with geopandas and pandas: the
presence rule of issue 17 item 3 applied in pandas, regions by village code or by a spatial join of
the points with the boundary polygons. Not the SQL under test: foreign_nationals_present is not
used here."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg2

from geo.stats.foreign import GUEST_WINDOW_DAYS, PERMIT_TYPES, PURPOSES, UNKNOWN

REGENCIES = ("62.71", "62.02", "62.10")
NATIONS = ("CN", "MY", "KR", "JP", "AU", "US", "NL", "SG")
KINDS = ("rapat", "operasi_gabungan", "pengawasan_lapangan", "sosialisasi")
AGENCIES = ("imigrasi", "polda", "kesbangpol", "pemkab", "disnakertrans")
ORANG_ASING = ("nomor_paspor", "kewarganegaraan", "nama_lengkap", "jenis_kelamin", "tanggal_lahir", "jenis_izin",
               "nomor_izin", "izin_berlaku_dari", "izin_berlaku_hingga", "tujuan", "sponsor", "nib_sponsor", "alamat",
               "kode_desa", "latitude", "longitude", "tanggal_lapor")
PENGINAPAN = ("nama_penginapan", "alamat_penginapan", "kode_desa", "latitude", "longitude", "nomor_paspor",
              "kewarganegaraan", "nama_tamu", "tanggal_masuk", "tanggal_keluar")
KEGIATAN = ("tanggal", "jenis_kegiatan", "kode_kecamatan", "instansi", "nib_sasaran", "sasaran", "temuan",
            "tindak_lanjut")
COMPANIES = ("nib", "nama", "sektor", "longitude", "latitude")
WORKERS = ("nib", "nomor_paspor", "kewarganegaraan", "nama_lengkap", "dibuat", "izin_berlaku_hingga",
           "itas_berlaku_hingga", "status", "diubah", "lokasi_kerja_longitude", "lokasi_kerja_latitude")


def _write(path: Path, header: tuple, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=header)
        out.writeheader()
        out.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return path


def inner_points(files: dict[str, Path]) -> gpd.GeoDataFrame:
    """Villages of REGENCIES (and two of 62.05) with a point well inside them: in no other
    village, inside their own district, 300 m or more from any edge, so a spatial join of the
    polygons as published and of the polygons as loaded (repaired) agree."""
    villages = gpd.read_file(files["village"])[["code", "geometry"]]
    districts = gpd.read_file(files["district"])[["code", "geometry"]]
    mine = villages[villages["code"].str[:5].isin([*REGENCIES, "62.05"])].copy()
    mine["point"] = mine.geometry.representative_point()
    pts = gpd.GeoDataFrame(mine[["code"]], geometry=mine["point"], crs=villages.crs)
    hits = gpd.sjoin(pts, villages, predicate="within", how="inner")
    alone = hits.groupby(level=0).filter(lambda h: len(h) == 1 and (h["code_left"] == h["code_right"]).all())
    pts = pts.loc[alone.index.unique()]
    in_district = gpd.sjoin(pts, districts, predicate="within", how="inner")
    pts = pts.loc[in_district[in_district["code_right"] == in_district["code_left"].str[:8]].index.unique()]
    utm = "EPSG:32749"  # UTM 49S: metres in Central Kalimantan
    edges = mine.loc[pts.index].geometry.boundary.to_crs(utm)
    pts = pts[pts.geometry.to_crs(utm).distance(edges) > 300]
    return pts.sort_values("code")


def make_files(folder: Path, files: dict[str, Path], today: date, seed: int = 17) -> dict[str, Path]:
    """The CSVs of the dataset, dates relative to `today`."""
    rng = random.Random(seed)
    pts = inner_points(files)
    codes = list(pts["code"])
    main = [c for c in codes if not c.startswith("62.05")]
    city = [c for c in main if c.startswith("62.71")]
    chosen = (rng.sample(city, 6) + rng.sample([c for c in main if c not in city], 30)
              + [c for c in codes if c.startswith("62.05")][:2])
    where = {c: (round(p.x, 7), round(p.y, 7)) for c, p in zip(pts["code"], pts.geometry, strict=True)}

    def day(lo: int, hi: int) -> date:
        return today + timedelta(days=rng.randint(lo, hi))

    companies = []
    for i in range(14):
        village = chosen[i % len(chosen)]
        companies.append({"nib": f"{9170000000000 + i}", "nama": f"PT Uji Orang Asing {i:02d}",
                          "sektor": rng.choice(("perkebunan_sawit", "jasa", "konstruksi")),
                          "longitude": where[village][0], "latitude": where[village][1]})
    persons: list[tuple[str, str]] = [(f"FS{i:07d}", rng.choice(NATIONS)) for i in range(130)]
    stays = []
    for k, (passport, nat) in enumerate(persons[:110]):
        froms = rng.sample(range(-760, 40), rng.choice((1, 1, 1, 2, 3)))
        for start in froms:
            valid_from = today + timedelta(days=start)
            until = None if rng.random() < 0.15 else valid_from + timedelta(days=rng.randint(5, 500))
            village = rng.choice(chosen)
            point = where[village] if rng.random() < 0.5 else (None, None)
            company = rng.choice(companies) if rng.random() < 0.3 else None
            stays.append({
                "nomor_paspor": passport, "kewarganegaraan": nat, "nama_lengkap": f"ORANG UJI RAHASIA {k}",
                "jenis_kelamin": rng.choice(("L", "P")), "tanggal_lahir": "1985-06-01",
                "jenis_izin": rng.choice(PERMIT_TYPES), "nomor_izin": f"IZ{k:04d}{start + 1000:04d}",
                "izin_berlaku_dari": valid_from, "izin_berlaku_hingga": until, "tujuan": rng.choice(PURPOSES),
                "sponsor": None if company else "Yayasan Uji", "nib_sponsor": company["nib"] if company else None,
                "alamat": f"Jl. Rahasia {k}", "kode_desa": village, "latitude": point[1], "longitude": point[0],
                "tanggal_lapor": valid_from,
            })
    workers = []
    # Persons 90..129 also (or only) work at a company: a stay, when they have one, wins.
    for k, (passport, nat) in enumerate(persons[90:] + [(f"WK{i:07d}", rng.choice(NATIONS)) for i in range(30)]):
        company = rng.choice(companies)
        created = day(-800, 0)
        status = "active" if rng.random() < 0.8 else rng.choice(("departed", "deported"))
        site = where[rng.choice(chosen)] if rng.random() < 0.3 else (None, None)
        workers.append({
            "nib": company["nib"], "nomor_paspor": passport, "kewarganegaraan": nat,
            "nama_lengkap": f"PEKERJA UJI RAHASIA {k}", "dibuat": created,
            "izin_berlaku_hingga": None if rng.random() < 0.1 else day(-300, 500),
            "itas_berlaku_hingga": None if rng.random() < 0.1 else day(-300, 500),
            "status": status, "diubah": min(today, created + timedelta(days=rng.randint(0, 500))),
            "lokasi_kerja_longitude": site[0], "lokasi_kerja_latitude": site[1],
        })
    # Hotels in the towns: three in Palangka Raya (the first villages chosen), the others anywhere.
    lodgings = [(f"Hotel Uji {i}", chosen[i] if i < 3 else rng.choice(chosen)) for i in range(9)]
    guests = []
    guest_people = rng.sample(persons, 40) + [(f"LG{i:07d}", rng.choice(NATIONS)) for i in range(40)]
    for k, (passport, nat) in enumerate(guest_people):
        recent = rng.random() < 0.5  # half of the guests in the last two months
        for check_in in rng.sample(range(-60, 3) if recent else range(-720, 3), rng.choice((1, 1, 2, 3))):
            name, village = rng.choice(lodgings)
            point = where[village]
            check_out = None if rng.random() < 0.25 else today + timedelta(days=check_in + rng.randint(0, 20))
            guests.append({
                "nama_penginapan": name, "alamat_penginapan": f"Jl. {name}", "kode_desa": village,
                "latitude": point[1], "longitude": point[0], "nomor_paspor": passport, "kewarganegaraan": nat,
                "nama_tamu": f"TAMU UJI RAHASIA {k}", "tanggal_masuk": today + timedelta(days=check_in),
                "tanggal_keluar": check_out,
            })
    activities = []
    districts = sorted({c[:8] for c in chosen})
    for k in range(45):
        activities.append({
            "tanggal": today - timedelta(days=3 * k + rng.randint(0, 2) + (0 if k % 4 else 380)),
            "jenis_kegiatan": rng.choice(KINDS), "kode_kecamatan": rng.choice(districts),
            "instansi": ";".join(sorted(rng.sample(AGENCIES, rng.randint(1, 3)))),
            "nib_sasaran": rng.choice(companies)["nib"] if rng.random() < 0.4 else None,
            "sasaran": f"Sasaran {k}", "temuan": "temuan uji", "tindak_lanjut": "tindak lanjut uji",
        })
    return {
        "companies": _write(folder / "perusahaan.csv", COMPANIES, companies),
        "workers": _write(folder / "tka.csv", WORKERS, workers),
        "orang_asing": _write(folder / "orang_asing.csv", ORANG_ASING, stays),
        "penginapan": _write(folder / "penginapan.csv", PENGINAPAN, guests),
        "kegiatan": _write(folder / "kegiatan.csv", KEGIATAN, activities),
    }


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def load(url: str, files: dict[str, Path]) -> None:
    """The files into the database by plain inserts (the imports' own tests cover the imports)."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for c in _rows(files["companies"]):
            cur.execute("INSERT INTO companies (nib, name, sector, geom) "
                        "VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                        (c["nib"], c["nama"], c["sektor"], float(c["longitude"]), float(c["latitude"])))
        person: dict[tuple[str, str], int] = {}

        def person_id(passport: str, nat: str, name: str) -> int:
            if (passport, nat) not in person:
                cur.execute("""INSERT INTO foreign_nationals (passport_number, nationality, full_name) VALUES (%s, %s, %s)
                               ON CONFLICT (passport_number, nationality) DO UPDATE SET full_name = foreign_nationals.full_name
                               RETURNING id""", (passport, nat, name))
                person[(passport, nat)] = cur.fetchone()[0]
            return person[(passport, nat)]

        for s in _rows(files["orang_asing"]):
            pid = person_id(s["nomor_paspor"], s["kewarganegaraan"], s["nama_lengkap"])
            cur.execute(
                """INSERT INTO foreign_national_stays (foreign_national_id, permit_type, permit_number, valid_from,
                       valid_until, purpose, sponsor_company_id, sponsor_name, address, village_code, geom, agency,
                       reported_on)
                   VALUES (%s, %s, %s, %s, %s, %s, (SELECT id FROM companies WHERE nib = %s), %s, %s, %s,
                           CASE WHEN %s::float8 IS NULL THEN NULL
                                ELSE ST_SetSRID(ST_MakePoint(%s::float8, %s::float8), 4326) END, 'imigrasi', %s)""",
                (pid, s["jenis_izin"], s["nomor_izin"], s["izin_berlaku_dari"], s["izin_berlaku_hingga"], s["tujuan"],
                 s["nib_sponsor"], s["sponsor"], s["alamat"], s["kode_desa"], s["longitude"], s["longitude"],
                 s["latitude"], s["tanggal_lapor"]))
        for w in _rows(files["workers"]):
            cur.execute(
                """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position,
                       position_level, permit_valid_until, itas_valid_until, status, work_site, created_at, updated_at)
                   VALUES ((SELECT id FROM companies WHERE nib = %s), %s, %s, %s, 'Staf', 'profesional', %s, %s, %s,
                           CASE WHEN %s::float8 IS NULL THEN NULL
                                ELSE ST_SetSRID(ST_MakePoint(%s::float8, %s::float8), 4326) END,
                           %s::date + time '12:00', %s::date + time '12:00')""",
                (w["nib"], w["nama_lengkap"], w["nomor_paspor"], w["kewarganegaraan"], w["izin_berlaku_hingga"],
                 w["itas_berlaku_hingga"], w["status"], w["lokasi_kerja_longitude"], w["lokasi_kerja_longitude"],
                 w["lokasi_kerja_latitude"], w["dibuat"], w["diubah"]))
        lodging: dict[str, int] = {}
        for g in _rows(files["penginapan"]):
            if g["nama_penginapan"] not in lodging:
                cur.execute("""INSERT INTO lodgings (name, address, village_code, geom)
                               VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id""",
                            (g["nama_penginapan"], g["alamat_penginapan"], g["kode_desa"], float(g["longitude"]),
                             float(g["latitude"])))
                lodging[g["nama_penginapan"]] = cur.fetchone()[0]
            pid = person_id(g["nomor_paspor"], g["kewarganegaraan"], g["nama_tamu"])
            cur.execute("""INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency)
                           VALUES (%s, %s, %s, %s, 'polda')""",
                        (lodging[g["nama_penginapan"]], pid, g["tanggal_masuk"], g["tanggal_keluar"]))
        for a in _rows(files["kegiatan"]):
            cur.execute("""INSERT INTO monitoring_activities (held_on, kind, district_code, agencies, targets, findings,
                                                              follow_up, agency)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, 'kesbangpol') RETURNING id""",
                        (a["tanggal"], a["jenis_kegiatan"], a["kode_kecamatan"], a["instansi"].split(";"),
                         a["sasaran"], a["temuan"], a["tindak_lanjut"]))
            if a["nib_sasaran"]:
                cur.execute("""INSERT INTO activity_company_targets (activity_id, company_id)
                               SELECT %s, id FROM companies WHERE nib = %s""", (cur.fetchone()[0], a["nib_sasaran"]))
    conn.close()


# --- the independent count ------------------------------------------------------------------------
class Expected:
    """The files and boundaries read with geopandas/pandas, counted per region without the database."""

    def __init__(self, files: dict[str, Path], boundaries: dict[str, Path]) -> None:
        read = {k: pd.read_csv(v, dtype=str, keep_default_na=False) for k, v in files.items()}
        self.regions = pd.concat([gpd.read_file(boundaries[level])[["code", "name", "level"]]
                                  for level in ("province", "regency", "district", "village")])
        villages = gpd.read_file(boundaries["village"])[["code", "geometry"]]
        districts = gpd.read_file(boundaries["district"])[["code", "geometry"]]

        def d(col: pd.Series) -> pd.Series:
            return col.map(lambda v: date.fromisoformat(v) if v else None).astype(object)

        companies = read["companies"]
        workers = read["workers"].merge(companies, on="nib")
        site = workers["lokasi_kerja_longitude"] != ""
        lon = workers["lokasi_kerja_longitude"].where(site, workers["longitude"]).astype(float)
        lat = workers["lokasi_kerja_latitude"].where(site, workers["latitude"]).astype(float)
        points = gpd.GeoDataFrame(workers[["nomor_paspor"]], geometry=gpd.points_from_xy(lon, lat), crs=villages.crs)
        workers["village"] = gpd.sjoin(points, villages, predicate="within", how="left")["code"].groupby(level=0).min()
        workers["district"] = gpd.sjoin(points, districts, predicate="within", how="left")["code"].groupby(level=0).min()
        workers["created"] = d(workers["dibuat"])
        workers["updated"] = d(workers["diubah"])
        # The earlier of the two ends, the known one when only one is.
        workers["permit_end"] = [min((e for e in pair if e is not None), default=None) for pair in
                                 zip(d(workers["izin_berlaku_hingga"]), d(workers["itas_berlaku_hingga"]), strict=True)]
        self.workers = workers
        stays = read["orang_asing"]
        stays["valid_from"] = d(stays["izin_berlaku_dari"])
        stays["valid_until"] = d(stays["izin_berlaku_hingga"])
        stays["village"] = stays["kode_desa"]
        stays["district"] = stays["kode_desa"].str[:8]
        self.stays = stays
        guests = read["penginapan"]
        guests["check_in"] = d(guests["tanggal_masuk"])
        guests["until"] = [o or i + timedelta(days=30)
                           for i, o in zip(guests["check_in"], d(guests["tanggal_keluar"]), strict=True)]
        guests["village"] = guests["kode_desa"]
        guests["district"] = guests["kode_desa"].str[:8]
        self.guests = guests
        activities = read["kegiatan"]
        activities["held_on"] = d(activities["tanggal"])
        activities["district"] = activities["kode_kecamatan"]
        self.activities = activities

    def present(self, day: date) -> pd.DataFrame:
        """Issue 17 item 3: a stay covering the day (the latest begun) before a worker record (as the
        statistics count workers) before a lodging stay (the latest check-in; no check-out = 30 days)."""
        s = self.stays
        s = s[(s["valid_from"] <= day) & s["valid_until"].map(lambda u: u is None or u >= day)]
        w = self.workers
        w = w[(w["created"] <= day) & w["permit_end"].map(lambda e: e is not None and e >= day)
              & ((w["status"] == "active") | (w["updated"] > day))]
        g = self.guests
        g = g[(g["check_in"] <= day) & (g["until"] >= day)]
        candidates = pd.concat([
            pd.DataFrame({"passport": s["nomor_paspor"], "nat": s["kewarganegaraan"], "rank": 1, "since": s["valid_from"],
                          "purpose": s["tujuan"], "permit": s["jenis_izin"], "village": s["village"],
                          "district": s["district"]}),
            pd.DataFrame({"passport": w["nomor_paspor"], "nat": w["kewarganegaraan"], "rank": 2, "since": w["created"],
                          "purpose": "bekerja", "permit": "itas", "village": w["village"], "district": w["district"]}),
            pd.DataFrame({"passport": g["nomor_paspor"], "nat": g["kewarganegaraan"], "rank": 3, "since": g["check_in"],
                          "purpose": UNKNOWN, "permit": UNKNOWN, "village": g["village"], "district": g["district"]}),
        ])
        candidates["since_key"] = candidates["since"].map(lambda x: -x.toordinal())
        best = candidates.sort_values(["passport", "nat", "rank", "since_key"]).drop_duplicates(["passport", "nat"])
        best["regency"] = best["district"].str[:5]
        best["province"] = best["district"].str[:2]
        return best

    def _codes(self, level: str, parent: str | None, scope: tuple[str, ...] | None) -> list[str]:
        codes = self.regions[self.regions["level"] == level]["code"]
        if parent is not None:
            codes = codes[codes.str.startswith(parent + ".")]
        if scope is not None and level != "province":
            codes = codes[codes.str[:5].isin(scope)]
        return sorted(codes)

    def stats(self, level: str, day: date, parent: str | None = None, scope: tuple[str, ...] | None = None,
              purpose: tuple[str, ...] = (), nationality: tuple[str, ...] = ()) -> dict[str, dict]:
        """{code: the foreign-national columns} of every region of the level, zeros included."""
        column = {"province": "province", "regency": "regency", "district": "district", "village": "village"}[level]
        p = self.present(day)
        if scope is not None:
            p = p[p["regency"].isin(scope)]
        if purpose:
            p = p[p["purpose"].isin(purpose)]
        if nationality:
            p = p[p["nat"].isin(nationality)]
        g = self.guests
        g = g[(g["check_in"] <= day) & (g["until"] > day - timedelta(days=GUEST_WINDOW_DAYS))].copy()
        g["regency"], g["province"] = g["district"].str[:5], g["district"].str[:2]
        if scope is not None:
            g = g[g["regency"].isin(scope)]
        if nationality:
            g = g[g["kewarganegaraan"].isin(nationality)]
        a = self.activities.copy()
        a["regency"], a["province"] = a["district"].str[:5], a["district"].str[:2]
        try:
            year_ago = day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            year_ago = day.replace(year=day.year - 1, day=28)
        a = a[(a["held_on"] > year_ago) & (a["held_on"] <= day)]
        if scope is not None:
            a = a[a["regency"].isin(scope)]
        out = {}
        for code in self._codes(level, parent, scope):
            mine = p[p[column] == code]
            out[code] = {
                "foreign_nationals": len(mine),
                "foreign_nationals_by_purpose": mine["purpose"].value_counts().to_dict(),
                "foreign_nationals_by_permit": mine["permit"].value_counts().to_dict(),
                "foreign_nationals_by_nationality": mine["nat"].value_counts().to_dict(),
                "lodging_guests_30d": g[g[column] == code][["nomor_paspor", "kewarganegaraan"]].drop_duplicates().shape[0],
                "activities_12m": None if level == "village" else int((a[column] == code).sum()),
            }
        return out

    def series(self, code: str, quarters: list[tuple[date, date]], today: date) -> list[dict]:
        """Per quarter of one region: present at its end (the current one: today), distinct lodging
        guests with a stay overlapping it, activities held in it (both up to today)."""
        level = self.regions.set_index("code").loc[code, "level"]
        column = level
        out = []
        for q0, q1 in quarters:
            end = min(q1, today)
            p = self.present(end)
            p = p[p[column] == code]
            g = self.guests
            g = g[(g["check_in"] <= end) & (g["until"] >= q0)].copy()
            g["regency"], g["province"] = g["district"].str[:5], g["district"].str[:2]
            a = self.activities.copy()
            a["regency"], a["province"] = a["district"].str[:5], a["district"].str[:2]
            a = a[(a["held_on"] >= q0) & (a["held_on"] <= end)]
            out.append({
                "foreign_nationals": len(p),
                "foreign_nationals_by_purpose": p["purpose"].value_counts().to_dict(),
                "foreign_nationals_by_permit": p["permit"].value_counts().to_dict(),
                "lodging_guests": g[g[column] == code][["nomor_paspor", "kewarganegaraan"]].drop_duplicates().shape[0],
                "activities": None if level == "village" else int((a[column] == code).sum()),
            })
        return out
