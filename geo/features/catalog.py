"""The collections Pantau serves and, per collection, the allow-list of columns.

Every SQL expression here is fixed text over fixed aliases (c = companies, i = inspections,
b = boundaries); request values never reach this text, they only pick entries by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.features.errors import FeatureNotFound


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
}


def get_collection(collection_id: str) -> Collection:
    try:
        return CATALOG[collection_id]
    except KeyError:
        raise FeatureNotFound(
            f"collection {collection_id!r} not found (known: {', '.join(CATALOG)})"
        ) from None
