"""What a map's search box finds: regions of every level (province, regency, district, village) of
the home province and companies, by name, within the user's regions. Names, codes and positions
only: no personal data. The display texts are plain text; pages write them as text nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo import clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter

MIN_CHARS, MAX_CHARS = 2, 100
MAX_LIMIT = 50
LEVELS = ("province", "regency", "district", "village")


class SearchError(ValueError):
    """A query the search refuses (too short or too long)."""


@dataclass(frozen=True)
class Query:
    text: str
    pattern: str  # ILIKE pattern: the text anywhere in the name
    prefix: str  # ILIKE pattern: a name or its words starting with the text


def parse(q: str | None) -> Query:
    text = " ".join((q or "").split())
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        raise SearchError(f"q: harus {MIN_CHARS} sampai {MAX_CHARS} karakter (must be {MIN_CHARS} to {MAX_CHARS} characters)")
    escaped = re.sub(r"([\\%_])", r"\\\1", text)
    return Query(text, f"%{escaped}%", f"{escaped}%")


def _page(level: str, code: str, parent_code: str | None) -> str:
    """The map page that shows the region: its own, or for a village its district's (focused on it)."""
    if level == "province":
        return "/maps/province"
    if level == "village":
        return f"/maps/district/{parent_code}#focus={code}"
    return f"/maps/{level}/{code}"


def _short(name: str | None) -> str:
    return (name or "").removeprefix("Kabupaten ")


def region_label(level: str, code: str, name: str, district: str | None, regency: str | None) -> str:
    """e.g. "Kec. Mentaya Hulu (Kotawaringin Timur)", "Kel. Mentawa Baru Hulu (Kec. Mentawa Baru
    Ketapang, Kotawaringin Timur)"; village codes 1xxx are kelurahan, 2xxx desa."""
    if level == "province":
        return f"Provinsi {name}"
    if level == "regency":
        return name
    if level == "district":
        return f"Kec. {name} ({_short(regency)})"
    kind = "Kel." if code.rsplit(".", 1)[-1].startswith("1") else "Desa"
    return f"{kind} {name} (Kec. {district}, {_short(regency)})"


_REGIONS_SQL = """
SELECT b.code, b.level, b.name, b.parent_code, d.name, r.name,
       round(ST_XMin(b.geom)::numeric, 5), round(ST_YMin(b.geom)::numeric, 5),
       round(ST_XMax(b.geom)::numeric, 5), round(ST_YMax(b.geom)::numeric, 5)
  FROM boundaries b
  LEFT JOIN boundaries d ON b.level = 'village' AND d.code = b.parent_code
  LEFT JOIN boundaries r ON b.level IN ('district', 'village') AND r.code = left(b.code, 5)
 WHERE (b.code = %(province)s OR b.code LIKE %(under)s)
   AND (b.name ILIKE %(pattern)s OR %(text)s <%% b.name)
   AND (%(scope)s::text[] IS NULL OR (b.level <> 'province' AND left(b.code, 5) = ANY(%(scope)s)))
 ORDER BY lower(b.name) = lower(%(text)s) DESC,
          (b.name ILIKE %(prefix)s OR b.name ILIKE %(word)s) DESC,
          b.name ILIKE %(pattern)s DESC,
          array_position(%(levels)s::text[], b.level),
          word_similarity(%(text)s, b.name) DESC, b.name, b.code
 LIMIT %(limit)s
"""


def regions(conn: Connection, query: Query, scope: tuple[str, ...] | None, limit: int) -> list[dict]:
    """Regions whose name holds the text, or a word spelt like it (pg_trgm's word similarity, at
    least 0.6: "Mentaja" finds Mentaya, not Menteng): exact names first, then names or
    words starting with it, then by level (province first) and likeness. A scoped user finds only
    the regions of its regencies (not the province as a whole)."""
    province = clock.province()
    params = {"province": province, "under": province + ".%", "pattern": query.pattern, "text": query.text,
              "prefix": query.prefix, "word": "% " + query.prefix, "levels": list(LEVELS),
              "scope": list(scope) if scope is not None else None, "limit": limit}
    with transaction(conn) as cur:
        cur.execute(_REGIONS_SQL, params)
        rows = cur.fetchall()
    return [{"code": code, "level": level, "name": name,
             "label": region_label(level, code, name, district, regency),
             "bbox": [float(v) for v in bbox], "href": _page(level, code, parent)}
            for code, level, name, parent, district, regency, *bbox in rows]


def companies(conn: Connection, query: Query, scope: tuple[str, ...] | None, limit: int) -> list[dict]:
    """Companies of the user's regencies whose name holds the text or a word spelt like it (served
    by companies_name_trgm_idx), best matches first; whatever their permits or sector."""
    where, params = MonitoringFilter().scoped(scope).company_where("c", "w")
    sql = f"""
SELECT c.id, c.name, round(ST_X(c.geom)::numeric, 5), round(ST_Y(c.geom)::numeric, 5),
       c.regency_code, c.district_code, d.name
  FROM companies c LEFT JOIN boundaries d ON d.code = c.district_code
 WHERE {where} AND (c.name ILIKE %s OR %s <%% c.name)
 ORDER BY c.name ILIKE %s DESC, word_similarity(%s, c.name) DESC, c.name, c.id
 LIMIT %s
"""  # noqa: S608 - the WHERE comes from the shared filter (bound parameters only)
    with transaction(conn) as cur:
        cur.execute(sql, [*params, query.pattern, query.text, query.pattern, query.text, limit])
        rows = cur.fetchall()
    return [{"id": cid, "name": name, "lon": float(lon), "lat": float(lat), "regency_code": regency,
             "district_code": district, "district_name": district_name, "href": f"/companies/{cid}"}
            for cid, name, lon, lat, regency, district, district_name in rows]


def search(conn: Connection, q: str | None, scope: tuple[str, ...] | None, limit: int = 10) -> dict:
    query = parse(q)
    limit = max(1, min(limit, MAX_LIMIT))
    return {"regions": regions(conn, query, scope, limit),
            "companies": companies(conn, query, scope, limit)}
