"""Run-time data of the foreign nationals' map (issue 17 item 5): numbers per region with colours
and legend, lodgings with guest counts, monitoring activities per district, and residence points.

Personal data (UU 27/2022): no name, passport or permit number ever leaves here. A residence point
is personal data: `residence_points` is for roles allowed personal data only (the route checks);
everyone else gets the counts per region, down to villages, with the reports' small-count
suppression (geo.reports.suppress), also on lodging guest counts. Activity texts (targets, findings,
follow-up) reach those roles masked like other free text (geo.redaction)."""

from __future__ import annotations

from datetime import date

from geo import activity_text, labels
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.formatting import long_date
from geo.maps import legend
from geo.maps.classify import SMALL_BELOW, classify
from geo.maps.regions import LEVEL_LABEL
from geo.redaction import mask
from geo.reports.suppress import protect_group, protect_mapping, protect_one
from geo.stats.foreign import GUEST_WINDOW_DAYS, ForeignFilter, foreign_counts
from geo.stats.foreign import UNKNOWN as NO_PURPOSE

TITLE = "Orang asing (hadir)"
NO_PURPOSE_LABEL = "Tamu penginapan tanpa izin tinggal tercatat"
LODGING_COLOR = "#6a3d9a"
ACTIVITY_COLOR = "#1f78b4"
RESIDENCE_COLOR = "#e7298a"
ACTIVITY_MONTHS = 12


def lookups(conn: Connection) -> dict[str, dict[str, str]]:
    """Indonesian labels of purposes, permit types and activity kinds (migration 0100's tables)."""
    out = {}
    with transaction(conn) as cur:
        for key, table in (("purposes", "stay_purposes"), ("permits", "permit_types"), ("kinds", "activity_kinds")):
            cur.execute(f"SELECT code, label FROM {table} ORDER BY label")  # noqa: S608 - fixed table names
            out[key] = dict(cur.fetchall())
    out["purposes"][NO_PURPOSE] = out["permits"][NO_PURPOSE] = NO_PURPOSE_LABEL
    return out


def describe(names: dict[str, dict[str, str]], purposes: tuple[str, ...], permits: tuple[str, ...]) -> str | None:
    parts = []
    if purposes:
        parts.append("tujuan " + ", ".join(names["purposes"].get(p, p) for p in purposes))
    if permits:
        parts.append("izin " + ", ".join(names["permits"].get(p, p) for p in permits))
    return "; ".join(parts) or None


def _cells(counts: dict[str, int], names: dict[str, str], personal: bool) -> list[list]:
    """[[label, count or "<3"], ...], largest first; suppressed as one group for non-personal roles."""
    shown = counts if personal else protect_mapping(counts, SMALL_BELOW)
    order = sorted(counts, key=lambda k: (-counts[k], names.get(k, k)))
    return [[names.get(k, k), shown[k]] for k in order]


def region_numbers(conn: Connection, level: str, parent: str | None, regencies: tuple[str, ...] | None, day: date,
                   purposes: tuple[str, ...], permits: tuple[str, ...], personal: bool) -> dict:
    """Per region: its total present (a "<3" cell for non-personal roles where suppressed), fill
    colour, breakdowns by purpose and permit type, lodging guests of 30 days and activities of 12
    months; and the legend. Counted by the statistics (geo.stats.foreign), as the API and reports."""
    names = lookups(conn)
    counts = foreign_counts(conn, level, MonitoringFilter().scoped(regencies), ForeignFilter(purposes, permits),
                            parent, day)
    codes = sorted(counts)
    totals = [counts[c]["foreign_nationals"] for c in codes]
    cells = totals if personal else protect_group(totals, SMALL_BELOW)
    guests = [counts[c]["lodging_guests_30d"] for c in codes]
    guest_cells = guests if personal else protect_group(guests, SMALL_BELOW)
    classes = classify(cells, SMALL_BELOW)
    regions = {}
    for i, code in enumerate(codes):
        row = counts[code]
        regions[code] = {"fill": classes.color(cells[i]), "total": cells[i],
                         "by_purpose": _cells(row["foreign_nationals_by_purpose"], names["purposes"], personal),
                         "by_permit": _cells(row["foreign_nationals_by_permit"], names["permits"], personal),
                         "lodging_guests_30d": guest_cells[i], "activities_12m": row["activities_12m"]}
    flt = describe(names, purposes, permits)
    subtitle = f"per {LEVEL_LABEL[level].lower()}, {long_date(day)}"
    return {"date": day.isoformat(), "method": classes.method, "breaks": classes.breaks, "suppressed": not personal,
            "legend": legend_html(subtitle, classes, flt, personal), "regions": regions}


def legend_html(subtitle: str, classes, filters_text: str | None, personal: bool) -> str:
    markers = [(LODGING_COLOR, "Penginapan (jumlah tamu)"),
               (ACTIVITY_COLOR, f"Kegiatan pemantauan {ACTIVITY_MONTHS} bulan terakhir (per kecamatan)")]
    if personal:
        markers.append((RESIDENCE_COLOR, "Tempat tinggal (data pribadi)"))
    note = ("" if personal else
            f'<div class="lg-filter">Jumlah orang 1–{SMALL_BELOW - 1} ditampilkan sebagai &lt;{SMALL_BELOW} '
            "(disamarkan seperti di laporan)</div>")
    return legend.legend_html(
        TITLE, subtitle, classes, filters_text, markers_title="Penanda", markers=markers, extra_rows="",
        note_html=note, bin_label=lambda b: f"<{SMALL_BELOW}" if (b.small and not personal) else b.label)


def _region_cond(alias: str, region: str | None, regencies: tuple[str, ...] | None) -> tuple[str, list]:
    conds, params = ["true"], []
    if region:
        conds.append(f"({alias}.regency_code = %s OR {alias}.district_code = %s)")
        params += [region, region]
    if regencies is not None:
        conds.append(f"{alias}.regency_code = ANY(%s)")
        params.append(list(regencies))
    return " AND ".join(conds), params


def lodging_points(conn: Connection, region: str | None, regencies: tuple[str, ...] | None, day: date,
                   personal: bool) -> dict:
    """{"count", "points": [[id, lon, lat, name, address, guests now, guests in 30 days]]}: the
    establishments only, never a guest. Guest counts "<3" when small for non-personal roles."""
    where, params = _region_cond("l", region, regencies)
    sql = f"""
SELECT l.id, round(ST_X(l.geom)::numeric, 5), round(ST_Y(l.geom)::numeric, 5), l.name, l.address,
       count(DISTINCT s.foreign_national_id) FILTER (
           WHERE s.check_in <= %s AND s.counted_until >= %s),
       count(DISTINCT s.foreign_national_id) FILTER (
           WHERE s.check_in <= %s AND s.counted_until >= %s::date - {GUEST_WINDOW_DAYS - 1})
  FROM lodgings l LEFT JOIN lodging_stays s ON s.lodging_id = l.id
 WHERE {where}
 GROUP BY l.id ORDER BY l.id
"""  # noqa: S608 - fixed text, bound parameters
    with transaction(conn) as cur:
        cur.execute(sql, [day, day, day, day, *params])
        rows = cur.fetchall()
    show = (lambda n: n) if personal else (lambda n: protect_one(n, SMALL_BELOW))
    points = [[i, float(x), float(y), name, address or "", show(now), show(d30)]
              for i, x, y, name, address, now, d30 in rows]
    return {"count": len(points), "date": day.isoformat(), "points": points}


def activity_points(conn: Connection, region: str | None, regencies: tuple[str, ...] | None, day: date,
                    personal: bool) -> dict:
    """The last 12 months' monitoring activities, one point per district (its label point) listing
    them newest first. Targets, findings and follow-up masked for non-personal roles."""
    where, params = _region_cond("a", region, regencies)
    sql = f"""
SELECT a.district_code, b.name, round(ST_X(b.label_point)::numeric, 5), round(ST_Y(b.label_point)::numeric, 5),
       a.id, a.held_on, a.kind, k.label, a.agencies, a.targets, a.findings, a.follow_up
  FROM monitoring_activities a
  JOIN boundaries b ON b.code = a.district_code
  JOIN activity_kinds k ON k.code = a.kind
 WHERE a.held_on > (%s::date - interval '12 months')::date AND a.held_on <= %s AND {where}
 ORDER BY a.district_code, a.held_on DESC, a.id
"""  # noqa: S608 - fixed text, bound parameters
    with transaction(conn) as cur:
        cur.execute(sql, [day, day, *params])
        rows = cur.fetchall()
    known = None if personal else activity_text.known_in(conn, {r[0][:5] for r in rows},
                                                       [t for r in rows for t in r[9:12]])
    points: dict[str, dict] = {}
    for district, name, x, y, aid, held, kind, kind_label, agencies, targets, findings, follow_up in rows:
        p = points.setdefault(district, {"district": district, "name": name, "lon": float(x), "lat": float(y),
                                         "activities": []})
        texts = [targets, findings, follow_up]
        if known is not None:
            texts = [mask(t, known) for t in texts]
        p["activities"].append({
            "id": aid, "held_on": held.isoformat(), "held_on_text": long_date(held), "kind": kind,
            "kind_label": kind_label, "agencies": labels.team(agencies),
            "targets": texts[0] or "", "findings": texts[1] or "", "follow_up": texts[2] or "",
        })
    return {"count": len(rows), "date": day.isoformat(), "points": list(points.values())}


def residence_points(conn: Connection, region: str | None, regencies: tuple[str, ...] | None, day: date,
                     purposes: tuple[str, ...], permits: tuple[str, ...]) -> dict:
    """Personal data, for roles allowed it only: the residence of each person present by a stay
    (workers are placed at their work site, lodging guests at the lodging: not residences).
    [[lon, lat, purpose, permit type, nationality (Indonesian names), reported point 1 / village point 0]]."""
    where, params = _region_cond("p", region, regencies)
    sql = f"""
SELECT round(ST_X(p.geom)::numeric, 5), round(ST_Y(p.geom)::numeric, 5), p.purpose, p.permit_type, n.nationality,
       (EXISTS (SELECT 1 FROM foreign_national_stays s
                 WHERE s.foreign_national_id = p.foreign_national_id AND s.geom = p.geom
                   AND s.location_source = 'reported'))::int
  FROM foreign_nationals_present(%s) p JOIN foreign_nationals n ON n.id = p.foreign_national_id
 WHERE p.source = 'stay' AND (cardinality(%s::text[]) = 0 OR p.purpose = ANY(%s::text[]))
   AND (cardinality(%s::text[]) = 0 OR p.permit_type = ANY(%s::text[])) AND {where}
 ORDER BY 1, 2
"""  # noqa: S608 - fixed text, bound parameters
    with transaction(conn) as cur:
        cur.execute(sql, [day, list(purposes), list(purposes), list(permits), list(permits), *params])
        rows = cur.fetchall()
    names = lookups(conn)
    return {"count": len(rows), "date": day.isoformat(),
            "points": [[float(x), float(y), names["purposes"].get(purpose, purpose), names["permits"].get(permit, permit),
                        labels.nationality(nat), reported] for x, y, purpose, permit, nat, reported in rows]}
