"""SQL for feature collections: the whole GeoJSON array is built by PostgreSQL and returned as text.

One statement per page: the filtered, ordered keys (cheap columns only) up to a cap just past the
page, which give both the page and the count (exact below the cap, else the planner's estimate),
and the features with their costly properties computed for the page rows only. A collection that
keeps each row's Feature (companies.feature) has only the other properties appended to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from geo import clock
from geo.db import Connection, Cursor, single_read, transaction
from geo.features.catalog import Collection, Column, visible
from geo.features.params import Page
from geo.filters import MonitoringFilter

# Rows counted exactly beyond the end of the page before numberMatched becomes the planner's
# estimate (numberMatchedExact: false). Counting costs a row fetch per row: at 1,000 extra rows the
# count of a city-sized bbox cost more PostgreSQL CPU than the page itself (bench/RESULTS-features.md).
COUNT_EXTRA = 100


@dataclass
class Where:
    """AND-ed SQL conditions with their bound parameters, in order. `head`: the values of the
    placeholders in the collection's from_sql (e.g. the day a collection describes), bound first."""

    conds: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)
    head: list = field(default_factory=list)

    def add(self, sql: str, params: list | tuple = ()) -> Where:
        self.conds.append(sql)
        self.params.extend(params)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(f"({c})" for c in self.conds) or "TRUE"


@dataclass(frozen=True)
class Extra:
    """An extra output property computed per row of the page (e.g. distance_km)."""

    name: str
    sql: str
    params: tuple = ()


@dataclass(frozen=True)
class Result:
    features: str  # a JSON array, as PostgreSQL wrote it
    returned: int
    matched: int
    exact: bool


def base_where(collection: Collection, flt: MonitoringFilter | None, scope: tuple[str, ...] | None) -> Where:
    """The collection's own rows, the user's filters and the user's regional scope."""
    where = Where()
    if collection.monitoring:
        flt = flt or MonitoringFilter()
        start, end = flt.period_start, flt.period_end
        if collection.datetime_sql != "c.rptka_valid_until":
            # The shared filter puts `datetime` on the RPTKA date; here it means the collection's date.
            flt = replace(flt, period_start=None, period_end=None)
        sql, params = (flt if flt.scope == scope else flt.scoped(scope)).company_where("c", "w")
        where.add(sql, params)
        if collection.datetime_sql != "c.rptka_valid_until":
            if start:
                where.add(f"{collection.datetime_sql} >= %s", [start])
            if end:
                where.add(f"{collection.datetime_sql} <= %s", [end])
        return where
    if collection.region_sql:
        return _regional_where(collection, flt, scope)
    where.add("b.level = %s", [collection.level])
    if scope is not None:
        if collection.level == "province":
            where.add("FALSE")  # a province outline would show regions outside the user's scope
        else:
            where.add("left(b.code, 5) = ANY(%s)", [list(scope)])
    if flt is not None:
        for code in (flt.regency_code, flt.district_code):
            if code:  # the region itself, its ancestors and its descendants
                where.add("left(b.code, length(%s)) = %s OR left(%s, length(b.code)) = b.code", [code, code, code])
    return where


def _regional_where(collection: Collection, flt: MonitoringFilter | None, scope: tuple[str, ...] | None) -> Where:
    """A collection placed by regency and district codes of its own (lodgings, activities, foreign
    nationals): the scope and the region filters on them, `datetime` as the collection defines it."""
    flt = flt or MonitoringFilter()
    regency, district = collection.region_sql
    day = (flt.period_end if collection.day_param else None) or flt.today or clock.today()
    where = Where(head=[day, list(scope) if scope is not None else None])
    if scope is not None:
        where.add(f"{regency} = ANY(%s)", [list(scope)])
    if flt.regency_code:
        where.add(f"{regency} = %s", [flt.regency_code])
    if flt.district_code:
        where.add(f"{district} = %s", [flt.district_code])
    if collection.datetime_sql and not collection.day_param:
        if flt.period_start:
            where.add(f"{collection.datetime_sql} >= %s", [flt.period_start])
        if flt.period_end:
            where.add(f"{collection.datetime_sql} <= %s", [flt.period_end])
    if flt.nationality and collection.nationality_sql:
        where.add(f"{collection.nationality_sql} = ANY(%s)", [list(flt.nationality)])
    return where


def order_sql(collection: Collection, sortby: tuple[tuple[Column, bool], ...]) -> str:
    parts = [f"{col.sql} {'DESC NULLS LAST' if desc else 'ASC NULLS LAST'}" for col, desc in sortby]
    parts.append(collection.default_order)  # a unique tie-breaker keeps paging stable
    return ", ".join(parts)


def _page_joins(collection: Collection, columns: tuple[Column, ...]) -> str:
    """The collection's page joins that the chosen columns read (catalog text only)."""
    used = {col.page_join for col in columns if col.page_join}
    return "".join(f" {sql}" for alias, sql in collection.page_joins if alias in used)


def _feature_sql(collection: Collection, columns: tuple[Column, ...], extras: tuple[Extra, ...], wkt: bool,
                 paged: bool = False) -> str:
    """One feature as JSON text. Names come from the catalog allow-list ([a-z_]), never from the
    request. paged: inside page_sql, where the page joins provide the per-page values (Column.page_sql)."""
    def value(col: Column) -> str:
        return col.page_sql if paged and col.page_sql else col.sql

    # By name: hashing the Column dataclasses would cost more than building the SQL.
    if collection.stored_feature and not wkt and {c.name for c in columns} == {c.name for c in collection.columns}:
        # The row keeps its Feature with its own columns (Collection.stored_feature): append the
        # other properties to it, as json_build_object writes them, instead of building it all.
        rest = [(col.name, value(col)) for col in columns if col.name not in collection.stored_columns]
        rest += [(extra.name, f"page.x{i}") for i, extra in enumerate(extras)]
        tail = "".join(f"""', "{name}" : ' || coalesce(to_json({sql})::text, 'null') || """ for name, sql in rest)
        return f"(left({collection.stored_feature}::text, -2) || {tail}'}}}}')"
    pairs = [f"'{col.name}', {value(col)}" for col in columns]
    pairs += [f"'{extra.name}', page.x{i}" for i, extra in enumerate(extras)]
    props = f"json_build_object({', '.join(pairs)})" if pairs else "'{}'::json"
    if wkt:
        return f"json_build_object('id', {collection.key_sql}, 'wkt', ST_AsText({collection.geom_sql}, 6), 'properties', {props})::text"
    return (f"json_build_object('type', 'Feature', 'id', {collection.key_sql}, "
            f"'geometry', ST_AsGeoJSON({collection.geom_sql}, 6)::json, 'properties', {props})::text")


def page_sql(
    collection: Collection,
    where: Where,
    order: tuple[str, list],
    columns: tuple[Column, ...],
    page: Page,
    extras: tuple[Extra, ...] = (),
    wkt: bool = False,
    count: bool = True,
    estimate_sql: str = "",
) -> tuple[str, list]:
    """The page statement and its parameters. `estimate_sql`:
    estimate_text(), for numberMatched of a full page whose count reaches the cap."""
    # Carried values (Collection.carry) go from the filtered rows to the page as page.<name>.
    extra_cols = "".join(f", {sql} AS {name}" for name, sql in collection.carry)
    extra_cols += "".join(f", {extra.sql} AS x{i}" for i, extra in enumerate(extras))
    extra_out = "".join(f", s.{name}" for name, _ in collection.carry)
    extra_out += "".join(f", s.x{i}" for i in range(len(extras)))
    extra_params = [p for extra in extras for p in extra.params]
    order_text, order_params = order
    feature = _feature_sql(collection, columns, extras, wkt, paged=True)
    # The ordered keys are read once, up to `cap` rows: the page is a slice of them and their number
    # is the count (exact below the cap; at the cap, the planner's estimate in the same statement),
    # so counting costs no second scan. Every interpolated piece below is fixed catalog text or an
    # allow-listed name; values are bound.
    cap = page.offset + page.limit + (COUNT_EXTRA if count else 0)
    if count:
        matched, estimate = "seen.c", "CASE WHEN seen.c >= %s THEN plan_row_estimate(%s) END"
        estimate_params = [cap, estimate_sql]
    else:
        matched, estimate, estimate_params = "NULL::bigint", "NULL::bigint", []
    sql = (
        f"WITH hits AS (SELECT s.k{extra_out}, row_number() OVER () AS ord FROM ("  # noqa: S608
        f"SELECT {collection.key_sql} AS k{extra_cols} FROM {collection.from_sql} WHERE {where.sql} "
        f"ORDER BY {order_text} LIMIT %s) s), "
        f"page AS (SELECT * FROM hits WHERE hits.ord > %s AND hits.ord <= %s), "
        f"n AS (SELECT count(*) AS n FROM page), seen AS (SELECT count(*) AS c FROM hits) "
        f"SELECT n.n, {matched}, {estimate}, "
        f"(SELECT coalesce('[' || string_agg({feature}, ', ' ORDER BY page.ord) || ']', '[]') "
        f"FROM page {collection.join_back}{_page_joins(collection, columns)}) "
        f"FROM n, seen"
    )
    params = [*extra_params, *where.head, *where.params, *order_params, cap, page.offset, page.offset + page.limit,
              *estimate_params]
    return sql, params


def estimate_text(cur: Cursor, collection: Collection, where: Where) -> str:
    """The filtered query as text for plan_row_estimate (migration 0051): catalog text, with the
    values quoted by psycopg2 exactly as in every statement it sends."""
    sql = f"SELECT 1 FROM {collection.from_sql} WHERE {where.sql}"  # noqa: S608 - catalog text only
    return cur.mogrify(sql, [*where.head, *where.params]).decode()


# Parallel workers cost more to start than these short, index-driven queries take. SET LOCAL in the
# same query string: one round trip, one implicit transaction, so it holds for this statement only.
SERIAL = "SET LOCAL max_parallel_workers_per_gather = 0; "


def _serial(statement: tuple[str, list]) -> tuple[str, list]:
    sql, params = statement
    return SERIAL + sql, params


def page_result(row: tuple, count: bool = True) -> Result:
    returned, matched, estimated, features = row
    if not count:
        return Result(features, returned, -1, True)
    if estimated is not None:  # a full page and at least `cap` rows: the planner's estimate
        return Result(features, returned, max(matched, estimated), False)
    return Result(features, returned, matched, True)


def fetch_page(
    conn: Connection,
    collection: Collection,
    where: Where,
    order: tuple[str, list],
    columns: tuple[Column, ...],
    page: Page,
    extras: tuple[Extra, ...] = (),
    wkt: bool = False,
    count: bool = True,
) -> Result:
    with single_read(conn) as cur:
        estimate = estimate_text(cur, collection, where) if count else ""
        cur.execute(*_serial(page_sql(collection, where, order, columns, page, extras, wkt, count, estimate)))
        return page_result(cur.fetchone(), count)


def _one_feature_select(collection: Collection) -> str:
    """One feature's statement up to its WHERE (catalog text only)."""
    feature = _feature_sql(collection, collection.columns, (), False)
    return (f"SELECT {feature} FROM {collection.from_sql} "  # noqa: S608 - catalog text only
            f"WHERE {collection.key_sql} = %s AND ")


# Built once for each collection of the catalog, every variant a role gets (catalog.visible: one id
# names a different collection per role), keyed by the object: a map asks for one feature on every
# click, and hashing the dataclass would cost more than building the text. The catalog's collections
# live as long as the process, so their id() stays theirs; any other collection is built per call.
_ONE_FEATURE_SELECT = {id(c): _one_feature_select(c) for personal in (True, False) for c in visible(personal).values()}


def one_feature_sql(collection: Collection, where: Where, key) -> tuple[str, list]:
    """One feature as GeoJSON text (no row when absent or outside `where`): a single statement."""
    select = _ONE_FEATURE_SELECT.get(id(collection)) or _one_feature_select(collection)
    return select + where.sql, [*where.head, key, *where.params]


def extents(conn: Connection, regencies=None) -> dict:
    """Spatial extent (the province) and temporal extents, for the collection documents. For a
    user scoped to `regencies` the monitoring extents are those of the scope: the records it may
    see and its regencies' bounding box (`scope_bbox`), never the province's figures."""
    scope = list(regencies) if regencies is not None else None
    with transaction(conn) as cur:
        cur.execute(
            """WITH c AS (SELECT id, rptka_valid_until FROM companies
                           WHERE %(scope)s::text[] IS NULL OR regency_code = ANY(%(scope)s::text[]))
               SELECT (SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)]
                         FROM (SELECT ST_Extent(geom) AS e FROM boundaries WHERE level = 'province') p),
                      (SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)]
                         FROM (SELECT ST_Extent(geom) AS e FROM boundaries
                                WHERE level = 'regency' AND code = ANY(%(scope)s::text[])) r),
                      (SELECT min(rptka_valid_until) FROM c), (SELECT max(rptka_valid_until) FROM c),
                      (SELECT min(i.inspected_on) FROM inspections i JOIN c ON c.id = i.company_id),
                      (SELECT max(i.inspected_on) FROM inspections i JOIN c ON c.id = i.company_id),
                      (SELECT ARRAY[min(held_on), max(held_on)] FROM monitoring_activities
                        WHERE %(scope)s::text[] IS NULL OR regency_code = ANY(%(scope)s::text[]))""",
            {"scope": scope})
        bbox, scope_bbox, c_min, c_max, i_min, i_max, (a_min, a_max) = cur.fetchone()

    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    def rounded(box):
        return [round(v, 6) for v in box] if box and None not in box else None  # no rows: no extent

    return {"bbox": rounded(bbox) or [-180, -90, 180, 90], "scope_bbox": rounded(scope_bbox),
            "companies": [iso(c_min), iso(c_max)], "inspections": [iso(i_min), iso(i_max)],
            "activities": [iso(a_min), iso(a_max)]}
