"""The collections Pantau serves and, per collection, the allow-list of columns.

Every SQL expression here is fixed text over fixed aliases (c = companies, i = inspections,
b = boundaries); request values never reach this text, they only pick entries by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from geo.features.errors import FeatureNotFound
from geo.maps.classify import SMALL_BELOW


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    type: str  # JSON Schema type: string | integer | number | boolean | object | array
    title: str
    format: str | None = None  # e.g. "date"
    queryable: bool = True  # usable in filter= and sortby=
    enum: tuple[str, ...] | None = None
    # In a page of features: the same value from one of the collection's page_joins (computed
    # once for all rows of the page instead of a correlated sub-query per row). None = `sql`.
    page_sql: str | None = None
    page_join: str | None = None  # the alias in Collection.page_joins that page_sql reads


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    from_sql: str  # FROM clause of the filtered query
    key_sql: str  # the feature id
    key_type: str  # "integer" | "string"
    join_back: str  # how a page of keys (alias page, column k) is joined back to the rows
    geom_sql: str
    geometry_type: str
    columns: tuple[Column, ...]
    datetime_sql: str | None = None  # what `datetime` filters on
    level: str | None = None  # boundary collections: the boundaries.level
    monitoring: bool = False  # takes the monitoring filters (sector, nationality, ...)
    default_order: str = field(default="")
    # (alias, LEFT JOIN text) added after join_back in a page (may read CTE `page`, column k).
    page_joins: tuple[tuple[str, str], ...] = ()
    # The row's GeoJSON Feature kept in the row (json), holding `stored_columns` as properties: a
    # feature with every column appends the others to it instead of building all of its JSON.
    stored_feature: str | None = None
    stored_columns: frozenset[str] = frozenset()
    # Collections placed by codes of their own (lodgings, activities, foreign nationals): the SQL of
    # the row's (regency, district) code, which scope and region filters apply to. Their from_sql
    # opens with `(SELECT %s::date AS d, %s::text[] AS scope) q`: the day the collection describes
    # and the user's regencies (NULL = the province), bound before the conditions (sql.Where.head).
    region_sql: tuple[str, str] | None = None
    day_param: bool = False  # `datetime` is the day described (one date), not a filter on datetime_sql
    nationality_sql: str | None = None  # what the `nationality` filter applies to
    accepts: frozenset[str] = frozenset()  # the monitoring filters that apply besides the region codes
    # (name, SQL) read with the filtered rows and given to join_back as page.<name>.
    carry: tuple[tuple[str, str], ...] = ()
    personal: bool = False  # only for roles allowed personal data; unknown (404) to everyone else
    free_text: tuple[str, ...] = ()  # masked for roles without personal access (geo/activity_text.py)
    # Counts of persons that roles without personal access get as null when 1 to SMALL_BELOW - 1
    # and cannot filter or sort on (the map's and the statistics' small-count rule): small_counts().
    small_counts: tuple[str, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((col for col in self.columns if col.name == name), None)

    @property
    def queryables(self) -> tuple[Column, ...]:
        return tuple(col for col in self.columns if col.queryable)


# Active workers (total, per nationality) and the last inspection come from the company facts
# tables, kept current by triggers (migration 0050); a company without a facts row has none.
_FACT = "(SELECT f.{1} FROM {0} f WHERE f.company_id = c.id)"
_ACTIVE_WORKERS = f"coalesce({_FACT.format('company_worker_facts', 'workers')}, 0)"
_BY_NATIONALITY = f"coalesce({_FACT.format('company_worker_facts', 'by_nationality')}, '{{}}'::json)"
_LAST_INSPECTION = _FACT.format("company_inspection_facts", "last_inspection")
_PERMIT = ("valid", "expiring", "expired", "unknown")

# A page of companies reads its rows' facts and sector labels with one primary-key join each.
COMPANY_PAGE_JOINS = (
    ("pw", "LEFT JOIN company_worker_facts pw ON pw.company_id = c.id"),
    ("pi", "LEFT JOIN company_inspection_facts pi ON pi.company_id = c.id"),
    ("ps", "LEFT JOIN sectors ps ON ps.code = c.sector"),
)

COMPANY_COLUMNS = (
    Column("nib", "c.nib", "string", "NIB (Nomor Induk Berusaha)"),
    Column("name", "c.name", "string", "Nama perusahaan"),
    Column("sector", "c.sector", "string", "Kode sektor"),
    Column("sector_label", "(SELECT s.label FROM sectors s WHERE s.code = c.sector)", "string", "Sektor",
           page_sql="ps.label", page_join="ps"),
    Column("kbli", "c.kbli", "string", "KBLI"),
    Column("address", "c.address", "string", "Alamat"),
    Column("regency_code", "c.regency_code", "string", "Kode kabupaten/kota"),
    Column("district_code", "c.district_code", "string", "Kode kecamatan"),
    Column("location_method", "c.location_method", "string", "Metode penentuan wilayah", enum=("contains", "nearest")),
    Column("location_mismatch", "c.location_mismatch", "boolean", "Wilayah berbeda dengan yang dilaporkan"),
    Column("rptka_valid_until", "c.rptka_valid_until", "string", "RPTKA berlaku sampai", format="date"),
    Column("permit_status", "permit_status(c.rptka_valid_until)", "string", "Status RPTKA", enum=_PERMIT),
    Column("status", "c.status", "string", "Status perusahaan", enum=("active", "inactive", "closed")),
    Column("workers", _ACTIVE_WORKERS, "integer", "Jumlah TKA aktif",
           page_sql="coalesce(pw.workers, 0)", page_join="pw"),
    Column("workers_by_nationality", _BY_NATIONALITY, "object", "TKA aktif per kewarganegaraan", queryable=False,
           page_sql="coalesce(pw.by_nationality, '{}'::json)", page_join="pw"),
    Column("last_inspection", _LAST_INSPECTION, "string", "Pemeriksaan terakhir", format="date",
           page_sql="pi.last_inspection", page_join="pi"),
    Column("version", "c.version", "integer", "Versi"),
)

# The company's own columns, kept as its GeoJSON Feature in companies.feature (migration 0091);
# the other properties come from other tables (workers, inspections, sector names) or from the day.
COMPANY_FEATURE = frozenset({"nib", "name", "sector", "kbli", "address", "regency_code", "district_code",
                             "location_method", "location_mismatch", "rptka_valid_until", "status", "version"})

# Free-text fields (notes, follow_up) are left out on purpose: they may name persons (UU 27/2022).
INSPECTION_COLUMNS = (
    Column("company_id", "i.company_id", "integer", "ID perusahaan"),
    Column("company_nib", "c.nib", "string", "NIB perusahaan"),
    Column("company_name", "c.name", "string", "Nama perusahaan"),
    Column("sector", "c.sector", "string", "Kode sektor"),
    Column("regency_code", "c.regency_code", "string", "Kode kabupaten/kota"),
    Column("district_code", "c.district_code", "string", "Kode kecamatan"),
    Column("inspected_on", "i.inspected_on", "string", "Tanggal pemeriksaan", format="date"),
    Column("team", "to_json(i.team)", "array", "Tim (instansi)", queryable=False),
    Column("finding", "i.finding", "string", "Temuan", enum=(
        "none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other")),
    Column("status", "i.status", "string", "Status tindak lanjut", enum=("open", "in_progress", "closed")),
    Column("version", "i.version", "integer", "Versi"),
)

BOUNDARY_COLUMNS = (
    Column("code", "b.code", "string", "Kode wilayah (Kepmendagri)"),
    Column("name", "b.name", "string", "Nama wilayah"),
    Column("level", "b.level", "string", "Tingkat"),
    Column("parent_code", "b.parent_code", "string", "Kode wilayah induk"),
    Column("area_km2", "b.area_km2", "number", "Luas (km²)"),
)


# --- foreign nationals (issue 17) ------------------------------------------------------------------
# The day and the user's regencies, as the first row source of a regional collection's query and of
# its page (where they come back as carried values).
_DAY_SCOPE = "(SELECT %s::date AS d, %s::text[] AS scope) q"
_DAY_SCOPE_PAGE = "CROSS JOIN LATERAL (SELECT page.c_d AS d, page.c_scope AS scope) q"
_DAY_SCOPE_CARRY = (("c_d", "q.d"), ("c_scope", "q.scope"))
_NAME = "(SELECT nb.name FROM boundaries nb WHERE nb.code = {})"
# A company named by another record is shown only when it lies in the user's scope (an outside
# company reads as absent, like everywhere else).
_IN_SCOPE = "(q.scope IS NULL OR {}.regency_code = ANY(q.scope))"
_SOURCES = ("reported", "village")


def _region_columns(alias: str, village: bool = True) -> tuple[Column, ...]:
    cols = (
        Column("village_code", f"{alias}.village_code", "string", "Kode desa/kelurahan"),
        Column("village_name", _NAME.format(f"{alias}.village_code"), "string", "Desa/kelurahan"),
    ) if village else ()
    return cols + (
        Column("district_code", f"{alias}.district_code", "string", "Kode kecamatan"),
        Column("district_name", _NAME.format(f"{alias}.district_code"), "string", "Kecamatan"),
        Column("regency_code", f"{alias}.regency_code", "string", "Kode kabupaten/kota"),
        Column("regency_name", _NAME.format(f"{alias}.regency_code"), "string", "Kabupaten/kota"),
    )


# Guests an establishment reported: a guest stays from check-in to check-out, or 30 days without a
# check-out (the lodging part of foreign_nationals_present, migration 0100).
_GUEST_UNTIL = "ls.counted_until"
_GUESTS = ("(SELECT count(DISTINCT ls.foreign_national_id) FROM lodging_stays ls WHERE ls.lodging_id = l.id "  # noqa: S608 - catalog text
           f"AND ls.check_in <= q.d AND {_GUEST_UNTIL} >= q.d - {{}})")
LODGING_COLUMNS = (
    Column("name", "l.name", "string", "Nama penginapan"),
    Column("address", "l.address", "string", "Alamat penginapan"),
    *_region_columns("l"),
    Column("location_source", "l.location_source", "string", "Asal titik lokasi", enum=_SOURCES),
    Column("guests_today", _GUESTS.format(0), "integer", "Tamu asing pada tanggal ini"),
    Column("guests_30d", _GUESTS.format(29), "integer", "Tamu asing dalam 30 hari terakhir"),
    Column("as_of", "q.d", "string", "Tanggal", format="date", queryable=False),
    Column("version", "l.version", "integer", "Versi"),
)

# Targets, findings and follow-up are free text that may name persons: masked for roles without
# personal access and never queryable (a filter on them would reveal what the mask hides).
ACTIVITY_COLUMNS = (
    Column("held_on", "a.held_on", "string", "Tanggal kegiatan", format="date"),
    Column("kind", "a.kind", "string", "Jenis kegiatan",
           enum=("rapat", "operasi_gabungan", "pengawasan_lapangan", "sosialisasi")),
    Column("kind_label", "(SELECT k.label FROM activity_kinds k WHERE k.code = a.kind)", "string", "Jenis kegiatan (nama)"),
    Column("agencies", "to_json(a.agencies)", "array", "Instansi yang ikut", queryable=False),
    Column("agency", "a.agency", "string", "Instansi pelapor"),
    *_region_columns("a", village=False),
    Column("target_nibs", "(SELECT coalesce(json_agg(tc.nib ORDER BY tc.nib), '[]'::json) "  # noqa: S608 - catalog text
           "FROM activity_company_targets t JOIN companies tc ON tc.id = t.company_id "
           f"WHERE t.activity_id = a.id AND {_IN_SCOPE.format('tc')})", "array", "NIB perusahaan sasaran",
           queryable=False),
    Column("targets", "a.targets", "string", "Sasaran", queryable=False),
    Column("findings", "a.findings", "string", "Temuan", queryable=False),
    Column("follow_up", "a.follow_up", "string", "Tindak lanjut", queryable=False),
    Column("version", "a.version", "integer", "Versi"),
)

# One row per person present on the day (foreign_nationals_present, the one presence rule), with the
# record that placed them: the stay, the worker record or the lodging stay, each picked as the rule
# picks it (latest begun) among those matching what the rule returned.
_PRESENT_FROM = (
    f"{_DAY_SCOPE} CROSS JOIN LATERAL foreign_nationals_present(q.d) fp "  # noqa: S608 - catalog text
    "JOIN foreign_nationals p ON p.id = fp.foreign_national_id "
    "LEFT JOIN LATERAL (SELECT s.id FROM foreign_national_stays s WHERE fp.source = 'stay' "
    "AND s.foreign_national_id = fp.foreign_national_id AND s.valid_from <= q.d "
    "AND (s.valid_until IS NULL OR s.valid_until >= q.d) AND s.permit_type = fp.permit_type "
    "AND s.purpose = fp.purpose AND s.village_code = fp.village_code "
    "ORDER BY s.valid_from DESC, s.id DESC LIMIT 1) sid ON true "
    "LEFT JOIN foreign_national_stays st ON st.id = sid.id "
    "LEFT JOIN LATERAL (SELECT fw.id FROM foreign_workers fw WHERE fp.source = 'worker' "
    "AND fw.foreign_national_id = fp.foreign_national_id AND fw.company_id = fp.sponsor_company_id "
    "ORDER BY (fw.status = 'active') DESC, fw.id DESC LIMIT 1) wid ON true "
    "LEFT JOIN foreign_workers w ON w.id = wid.id "
    "LEFT JOIN LATERAL (SELECT gs.id FROM lodging_stays gs JOIN lodgings gl ON gl.id = gs.lodging_id "
    "WHERE fp.source = 'lodging' AND gs.foreign_national_id = fp.foreign_national_id "
    "AND gs.check_in <= q.d AND gs.counted_until >= q.d "
    "AND gl.village_code = fp.village_code ORDER BY gs.check_in DESC, gs.id DESC LIMIT 1) lid ON true "
    "LEFT JOIN lodging_stays ls ON ls.id = lid.id LEFT JOIN lodgings l ON l.id = ls.lodging_id "
    "LEFT JOIN companies sc ON sc.id = fp.sponsor_company_id"
)
_PRESENT_FIELDS = ("source", "purpose", "permit_type", "village_code", "district_code", "regency_code", "geom",
                   "sponsor_company_id")
_PRESENT_CARRY = (*_DAY_SCOPE_CARRY, *((f"c_{f}", f"fp.{f}") for f in _PRESENT_FIELDS),
                  ("c_stay", "sid.id"), ("c_worker", "wid.id"), ("c_lodging_stay", "lid.id"))
_PRESENT_PAGE = (
    f"{_DAY_SCOPE_PAGE} CROSS JOIN LATERAL (SELECT page.k AS foreign_national_id, "
    + ", ".join(f"page.c_{f} AS {f}" for f in _PRESENT_FIELDS) + ") fp "
    "JOIN foreign_nationals p ON p.id = page.k "
    "LEFT JOIN foreign_national_stays st ON st.id = page.c_stay "
    "LEFT JOIN foreign_workers w ON w.id = page.c_worker "
    "LEFT JOIN lodging_stays ls ON ls.id = page.c_lodging_stay LEFT JOIN lodgings l ON l.id = ls.lodging_id "
    "LEFT JOIN companies sc ON sc.id = fp.sponsor_company_id"
)
_PURPOSES = ("bekerja", "keluarga", "studi", "penelitian", "keagamaan", "sosial", "jurnalistik", "investasi",
             "lansia", "wisata", "lainnya")
_PERMITS = ("itas", "itap", "visa_kunjungan", "voa", "bebas_visa", "diplomatik")
_SPONSOR = f"CASE WHEN {_IN_SCOPE.format('sc')} THEN sc.{{}} END"
# Names, passport and permit numbers, birth dates and addresses are not queryable: a filter would
# put them in the URL (and so in access logs).
FOREIGN_NATIONAL_COLUMNS = (
    Column("full_name", "p.full_name", "string", "Nama lengkap", queryable=False),
    Column("passport_number", "p.passport_number", "string", "Nomor paspor", queryable=False),
    Column("nationality", "p.nationality", "string", "Kewarganegaraan (ISO 3166-1)"),
    Column("sex", "p.sex", "string", "Jenis kelamin", enum=("L", "P")),
    Column("birth_date", "p.birth_date", "string", "Tanggal lahir", format="date", queryable=False),
    Column("present_on", "q.d", "string", "Berada di wilayah pada tanggal", format="date", queryable=False),
    Column("source", "fp.source", "string", "Dasar keberadaan", enum=("stay", "worker", "lodging")),
    Column("purpose", "fp.purpose", "string", "Tujuan", enum=_PURPOSES),
    Column("purpose_label", "(SELECT sp.label FROM stay_purposes sp WHERE sp.code = fp.purpose)", "string",
           "Tujuan (nama)"),
    Column("permit_type", "fp.permit_type", "string", "Jenis izin tinggal", enum=_PERMITS),
    Column("permit_label", "(SELECT pt.label FROM permit_types pt WHERE pt.code = fp.permit_type)", "string",
           "Jenis izin tinggal (nama)"),
    Column("permit_number", "coalesce(st.permit_number, w.itas_number)", "string", "Nomor izin", queryable=False),
    Column("permit_valid_from", "st.valid_from", "string", "Izin berlaku dari", format="date"),
    Column("permit_valid_until", "coalesce(st.valid_until, least(w.permit_valid_until, w.itas_valid_until))",
           "string", "Izin berlaku hingga", format="date"),
    Column("sponsor_nib", _SPONSOR.format("nib"), "string", "NIB sponsor"),
    Column("sponsor_name", f"coalesce(st.sponsor_name, {_SPONSOR.format('name')})", "string", "Sponsor",
           queryable=False),
    Column("address", "st.address", "string", "Alamat tinggal", queryable=False),
    *_region_columns("fp"),
    Column("location_source", "CASE fp.source WHEN 'stay' THEN st.location_source WHEN 'worker' THEN 'work_site' "
           "ELSE 'lodging' END", "string", "Asal titik lokasi", enum=("reported", "village", "work_site", "lodging")),
    Column("lodging_name", "l.name", "string", "Penginapan"),
    Column("check_in", "ls.check_in", "string", "Tanggal masuk penginapan", format="date"),
    Column("check_out", "ls.check_out", "string", "Tanggal keluar penginapan", format="date"),
    Column("reported_on", "st.reported_on", "string", "Tanggal lapor", format="date"),
    Column("reporting_agency", "coalesce(st.agency, ls.agency)", "string", "Instansi pelapor"),
)


def _boundary(id_: str, level: str, title: str) -> Collection:
    return Collection(
        id=id_, title=title, description=f"Batas wilayah administrasi: {title.lower()} (Kepmendagri).",
        from_sql="boundaries b", key_sql="b.code", key_type="string",
        join_back="JOIN boundaries b ON b.code = page.k", geom_sql="b.geom", geometry_type="MultiPolygon",
        columns=BOUNDARY_COLUMNS, level=level, default_order="b.code",
    )


CATALOG: dict[str, Collection] = {
    "companies": Collection(
        id="companies", title="Perusahaan pengguna TKA",
        description="Perusahaan yang mempekerjakan tenaga kerja asing, di lokasi perusahaan.",
        from_sql="companies c", key_sql="c.id", key_type="integer",
        join_back="JOIN companies c ON c.id = page.k", geom_sql="c.geom", geometry_type="Point",
        columns=COMPANY_COLUMNS, datetime_sql="c.rptka_valid_until", monitoring=True, default_order="c.id",
        page_joins=COMPANY_PAGE_JOINS, stored_feature="c.feature", stored_columns=COMPANY_FEATURE,
    ),
    "inspections": Collection(
        id="inspections", title="Pemeriksaan lapangan",
        description="Pemeriksaan lapangan (Tim PORA/POA), di lokasi perusahaan yang diperiksa.",
        from_sql="inspections i JOIN companies c ON c.id = i.company_id", key_sql="i.id", key_type="integer",
        join_back="JOIN inspections i ON i.id = page.k JOIN companies c ON c.id = i.company_id",
        geom_sql="c.geom", geometry_type="Point",
        columns=INSPECTION_COLUMNS, datetime_sql="i.inspected_on", monitoring=True, default_order="i.id",
    ),
    "provinces": _boundary("provinces", "province", "Provinsi"),
    "regencies": _boundary("regencies", "regency", "Kabupaten/kota"),
    "districts": _boundary("districts", "district", "Kecamatan"),
    "villages": _boundary("villages", "village", "Desa/kelurahan"),
    "lodgings": Collection(
        id="lodgings", title="Penginapan (laporan tamu asing)",
        description="Hotel dan penginapan yang melaporkan tamu asing, dengan jumlah tamu pada tanggal "
                    "(`datetime`, bawaan hari ini) dan dalam 30 hari sebelumnya.",
        from_sql=f"{_DAY_SCOPE} CROSS JOIN lodgings l", key_sql="l.id", key_type="integer",
        join_back=f"{_DAY_SCOPE_PAGE} JOIN lodgings l ON l.id = page.k", geom_sql="l.geom", geometry_type="Point",
        columns=LODGING_COLUMNS, default_order="l.id", region_sql=("l.regency_code", "l.district_code"),
        day_param=True, accepts=frozenset({"datetime"}), carry=_DAY_SCOPE_CARRY,
        small_counts=("guests_today", "guests_30d"),
    ),
    "activities": Collection(
        id="activities", title="Kegiatan pemantauan orang asing",
        description="Rapat, operasi gabungan, pengawasan lapangan dan sosialisasi Tim PORA dan tim daerah, "
                    "di titik label kecamatannya.",
        from_sql=f"{_DAY_SCOPE} CROSS JOIN monitoring_activities a", key_sql="a.id", key_type="integer",
        join_back=f"{_DAY_SCOPE_PAGE} JOIN monitoring_activities a ON a.id = page.k",
        geom_sql="(SELECT ab.label_point FROM boundaries ab WHERE ab.code = a.district_code)",
        geometry_type="Point", columns=ACTIVITY_COLUMNS, datetime_sql="a.held_on", default_order="a.id",
        region_sql=("a.regency_code", "a.district_code"), accepts=frozenset({"datetime"}), carry=_DAY_SCOPE_CARRY,
        free_text=("targets", "findings", "follow_up"),
    ),
    "foreign_nationals": Collection(
        id="foreign_nationals", title="Orang asing",
        description="Orang asing yang berada di wilayah pada tanggal (`datetime`, bawaan hari ini): izin "
                    "tinggal, pekerjaan atau laporan penginapan, di titik tempat tinggalnya. Data pribadi.",
        from_sql=_PRESENT_FROM, key_sql="fp.foreign_national_id", key_type="integer", join_back=_PRESENT_PAGE,
        geom_sql="fp.geom", geometry_type="Point", columns=FOREIGN_NATIONAL_COLUMNS,
        default_order="fp.foreign_national_id", region_sql=("fp.regency_code", "fp.district_code"),
        day_param=True, nationality_sql="p.nationality", accepts=frozenset({"datetime", "nationality"}),
        carry=_PRESENT_CARRY, personal=True,
    ),
}


def _hide_small(sql: str) -> str:
    """A count of persons with 1 to SMALL_BELOW - 1 given as NULL (0 and larger counts unchanged)."""
    return f"(SELECT CASE WHEN n.v > 0 AND n.v < {SMALL_BELOW} THEN NULL ELSE n.v END FROM (SELECT {sql}) n(v))"  # noqa: S608 - catalog text


SMALL_COUNT_NOTE = (f"Jumlah tamu 1–{SMALL_BELOW - 1} tidak ditampilkan (null) untuk peran tanpa akses data pribadi, "
                    f"seperti di peta dan statistik (fewer than {SMALL_BELOW} guests: null, hidden); "
                    "jumlah ini tidak dapat difilter atau diurutkan.")


def small_counts(coll: Collection) -> Collection:
    """The collection as roles without personal access get it (UU 27/2022): its small_counts hidden
    when small, as the map and the statistics hide them, and not queryable (a filter or a sort on
    them would reveal what is hidden). The property stays an integer (null when hidden) for GIS clients."""
    if not coll.small_counts:
        return coll
    cols = tuple(replace(c, sql=_hide_small(c.sql), page_sql=None, page_join=None, queryable=False)
                 if c.name in coll.small_counts else c for c in coll.columns)
    return replace(coll, columns=cols, description=f"{coll.description} {SMALL_COUNT_NOTE}")


# What roles without personal access know of: no personal collection, small counts hidden.
PUBLIC: dict[str, Collection] = {k: small_counts(c) for k, c in CATALOG.items() if not c.personal}


def visible(personal: bool = True) -> dict[str, Collection]:
    """The collections an audience may know of, as that audience gets them: without personal access,
    no personal collection and small counts of persons hidden (small_counts)."""
    return CATALOG if personal else PUBLIC


def get_collection(collection_id: str, personal: bool = True) -> Collection:
    """A collection by id; a personal one asked for without personal access is as unknown as any
    other name (the same error, the same list of known ones)."""
    known = visible(personal)
    try:
        return known[collection_id]
    except KeyError:
        raise FeatureNotFound(
            f"collection {collection_id!r} not found (known: {', '.join(known)})"
        ) from None
