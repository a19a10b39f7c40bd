"""The offline HTML report: one self-contained file (Leaflet/Folium JS and CSS, data, charts all
inlined) with an interactive province map and one map per regency; opens from a USB stick."""

from __future__ import annotations

import base64
import html as htmlmod
import re
from datetime import date

import folium
from folium.plugins import MarkerCluster

from geo.db import Connection, transaction
from geo.maps.assets import inline_assets, localize
from geo.maps.build import render_parts
from geo.maps.csp import InlineScripts
from geo.maps.textlayers import CompanyPoints, RegionTooltips
from geo.reports import charts, labels, staticmaps, tables, texts
from geo.reports.pdf import TITLE
from geo.reports.suppress import show
from geo.settings import home_province

_ASSET_TAG = re.compile(r"^\s*<(script\b[^>]*\bsrc=|link\b)[^>]*>(\s*</script>)?\s*$", re.I)
CSS = """
body{font-family:system-ui,Segoe UI,Roboto,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:2px solid #2f4b6e;padding-bottom:.2rem}
table.t{border-collapse:collapse;font-size:.8rem;margin:.5rem 0} table.t th{background:#dde6f0;text-align:left}
table.t td,table.t th{border:1px solid #bbb;padding:2px 6px} table.t td.n{text-align:right}
.note{font-size:.8rem;color:#444} .trace{font-size:.75rem;color:#555;border-top:1px solid #ccc;margin-top:2rem}
.charts img{max-width:48%;margin:.3rem} nav a{margin-right:.6rem;font-size:.85rem}
.folium-map{border:1px solid #999;margin:.5rem 0}
.report-tip th{text-align:left;padding-right:.6rem}
"""


def _geojson(conn: Connection, level: str, regency: str | None = None) -> dict:
    """Boundaries as GeoJSON (PostGIS builds it), simplified for the browser."""
    cond, params = ("parent_code = %s", [regency]) if regency else ("left(code, 2) = %s", [home_province()])
    with transaction(conn) as cur:
        cur.execute(f"""SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                            json_build_object('type', 'Feature', 'properties', json_build_object('code', code, 'name', name),
                                              'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.002), 5)::json)
                            ORDER BY code), '[]'::json))
                          FROM boundaries WHERE level = %s AND {cond}""", [level, *params])  # noqa: S608 - fixed text
        return cur.fetchone()[0]


def _choropleth(fc: dict, values: dict, threshold: int | None, name: str) -> folium.GeoJson:
    bins = staticmaps.classes(list(values.values()), threshold)
    for f in fc["features"]:
        v = values.get(f["properties"]["code"], 0)
        f["properties"]["tka"] = show(v)
        f["properties"]["fill"] = staticmaps._colour(v, bins)
    layer = folium.GeoJson(
        fc, name=name,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444", "weight": 1, "fillOpacity": 0.85},
    )
    RegionTooltips([("name", "Wilayah"), ("tka", "TKA")]).add_to(layer)  # names as text, not markup
    return layer


def _map(fc: dict) -> folium.Map:
    lats = [p[1] for f in fc["features"] for p in _coords(f["geometry"])]
    lons = [p[0] for f in fc["features"] for p in _coords(f["geometry"])]
    # maxZoom as a map option: marker clusters need it and there is no tile layer to carry it
    m = folium.Map(tiles=None, width="100%", height="480px", control_scale=True, maxZoom=18)
    m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return m


def _coords(geom: dict):
    def walk(x):
        if isinstance(x[0], int | float):
            yield x
        else:
            for y in x:
                yield from walk(y)
    yield from walk(geom["coordinates"])


# Above this many companies on one map the points are clustered (leaflet.markercluster, inlined
# like every other asset); below, each is drawn. Either way they go in one compact JSON array drawn
# by static/js/pantau-report.js, which sets each name as a text node (geo.maps.textlayers).
MARKER_LIMIT = 1000


def _radius(workers) -> float:
    return round(4 + min(int(workers) if isinstance(workers, int) else 1, 30) ** 0.5 * 2, 1)


def _companies_layer(rows: list[dict]):
    if len(rows) > MARKER_LIMIT:
        group = MarkerCluster(name=f"Perusahaan ({show(len(rows))})", chunked_loading=True,
                              disable_clustering_at_zoom=15)
    else:
        group = folium.FeatureGroup(name="Perusahaan")
    # Plain text (the browser sets it as a text node): no HTML escaping here.
    data = [[c["lat"], c["lon"], f"{c['name']} — TKA: {show(c['foreign_workers'])}", _radius(c["foreign_workers"])]
            for c in rows]
    CompanyPoints(data).add_to(group)
    return group


LIST_LIMIT = 200  # rows of a list table (permits, inspections) in the HTML; the XLSX annex has all


def _table(t: tables.Table, limit: int | None = None) -> str:
    head = "".join(f"<th>{htmlmod.escape(h)}</th>" for h in t.headers)
    body = []
    rows = t.rows if limit is None else t.rows[:limit]
    for row in rows + ([t.total] if t.total else []):
        cells = []
        for v in row:
            text = labels.long_date(v) if isinstance(v, date) else show(v)
            cls = ' class="n"' if isinstance(v, int | float) or (isinstance(v, str) and v.startswith("<")) else ""
            cells.append(f"<td{cls}>{htmlmod.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = len(t.rows) - len(rows)
    note = (f'<p class="note">… dan {show(more)} baris lainnya (lihat lampiran XLSX, lembar {t.key}).</p>'
            if more else "")
    return f'<h3>{htmlmod.escape(t.title)}</h3><table class="t"><tr>{head}</tr>{"".join(body)}</table>{note}'


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{htmlmod.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def render(c: dict, conn: Connection) -> bytes:
    m, t = c["meta"], c["meta"]["threshold"]
    regency = m["regency"]
    heads: list[str] = []
    seen: set[str] = set()
    sections: list[str] = []
    scripts: list[str] = []
    inline = InlineScripts()  # every inline script, by hash: the file's Content-Security-Policy
    ids: dict[str, str] = {}

    def add_map(fmap: folium.Map) -> str:
        # Stable ids first: the scripts' hashes are taken from their final text.
        parts = {k: _stable_ids(v, ids) for k, v in render_parts(localize(fmap)).items()}
        for line in parts["head"].splitlines():
            # Asset tags once for the whole file; each map's own <style>/<meta> lines are kept.
            if _ASSET_TAG.match(line):
                if line.strip() in seen:
                    continue
                seen.add(line.strip())
            heads.append(line)
        scripts.append(inline.element(parts["script"].replace("</script", "<\\/script")))
        return parts["body"]

    level, units = ("district", [d for d in c["districts"]]) if regency else ("regency", c["regencies"])
    top_fc = _geojson(conn, level, regency)
    allowed = {u["code"] for u in units}
    top_fc["features"] = [f for f in top_fc["features"] if f["properties"]["code"] in allowed]
    top = _map(top_fc)
    _choropleth(top_fc, {u["code"]: u["foreign_workers"] for u in units}, t, "TKA").add_to(top)
    if regency or len(c["companies"]) <= MARKER_LIMIT:
        _companies_layer(c["companies"]).add_to(top)
    folium.LayerControl(collapsed=False).add_to(top)
    s = c["summary"]
    nav = "".join(f'<a href="#u-{u["code"]}">{htmlmod.escape(staticmaps.short_name(u["name"]))}</a>' for u in units)
    sections.append(
        f"<h1>{htmlmod.escape(TITLE)}</h1>"
        f"<p><b>{htmlmod.escape(m['period_label'])}</b> — {htmlmod.escape(m['agency_name'])}<br>"
        f"Data per {htmlmod.escape(texts.as_of(m))}; status izin per {labels.long_date(m['reference_day'])}; "
        f"{htmlmod.escape(texts.describe_filter(m))}; hash {m['hash']}</p>"
        f'<p class="note">{htmlmod.escape(texts.suppression_note(m))}</p><nav>{nav}</nav>'
        f"<h2>Ringkasan</h2>{_table(tables.regencies(c))}"
        f"<h2>Peta sebaran TKA</h2>{add_map(top)}"
        + ("" if regency or len(c["companies"]) <= MARKER_LIMIT else
           f'<p class="note">Titik {show(len(c["companies"]))} perusahaan ditampilkan pada peta tiap '
           "kabupaten/kota di bawah (dikelompokkan; perbesar untuk melihat tiap titik).</p>")
        + f'<p class="note">{htmlmod.escape(texts.source_note(m))}</p>'
        "<h2>Grafik</h2><div class=\"charts\">"
        + _img(charts.bar_chart(charts.pooled(s["by_nationality"], labels.nationality), "TKA per kewarganegaraan"), "TKA per kewarganegaraan")
        + _img(charts.bar_chart(charts.pooled(s["by_sector"], lambda k: c["sector_labels"].get(k, k)), "Perusahaan per sektor"), "Perusahaan per sektor")
        + _img(charts.trend_chart(c["quarterly"]), "Tren per triwulan")
        + f'</div><p class="note">{htmlmod.escape(texts.history_note())}</p>'
        f"<h2>Izin</h2>{_table(tables.expiring(c), LIST_LIMIT)}"
        f"<h2>Pemeriksaan</h2>{_table(tables.findings(c))}{_table(tables.inspections(c), LIST_LIMIT)}"
    )
    if not regency:
        sections.append("<h2>Atlas per kabupaten/kota</h2>")
        for u in units:
            fc = _geojson(conn, "district", u["code"])
            kids = {d["code"]: d["foreign_workers"] for d in c["districts"] if d["parent_code"] == u["code"]}
            fmap = _map(fc)
            _choropleth(fc, kids, t, "TKA per kecamatan").add_to(fmap)
            _companies_layer([x for x in c["companies"] if x["regency_code"] == u["code"]]).add_to(fmap)
            sections.append(f'<h3 id="u-{u["code"]}">{htmlmod.escape(u["name"])} ({u["code"]})</h3>{add_map(fmap)}')
    sections.append(f"<h2>Lampiran</h2>{_table(tables.districts(c))}{_table(tables.nationality_by_regency(c))}")
    sections.append(f'<p class="trace">{htmlmod.escape(texts.trace_line(m))}</p>')
    rest = (f"<title>{htmlmod.escape(TITLE)} — {htmlmod.escape(m['period_label'])}</title>"
           f"<meta name=\"pantau-hash\" content=\"{m['hash']}\">"
           + "\n".join(heads) + f"<style>{CSS}</style></head><body>" + "".join(sections)
           + "".join(scripts) + "</body></html>")
    rest = inline_assets(rest, scripts=inline)
    # The policy comes first in <head>, before any script; it needs every hash, hence built last.
    return ('<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">' + _csp_meta(inline.hashes)
            + rest).encode("utf-8")


def _csp_meta(script_hashes: list[str]) -> str:
    """Opened from disk, everything is inline: scripts only those written here (by hash), so a
    text from the data that became markup could not run; styles, images and fonts inline."""
    scripts = " ".join(script_hashes) or "'none'"
    policy = (f"default-src 'none'; script-src {scripts}; "
              "style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'")
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


_ELEMENT_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def _stable_ids(doc: str, ids: dict[str, str]) -> str:
    """Folium names every element with a random 32-hex id (map_<id>, geo_json_<id>, ...); number them
    in order of appearance instead (`ids`: shared by the parts of one file), so the same content
    gives the same file."""

    def sub(m: re.Match) -> str:
        return "_" + ids.setdefault(m.group(1), f"{len(ids):032x}")

    return _ELEMENT_ID.sub(sub, doc)


