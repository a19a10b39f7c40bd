"""The offline HTML report: one self-contained file (Leaflet/Folium JS and CSS, data, charts all
inlined) with an interactive province map and one map per regency; opens from a USB stick."""

from __future__ import annotations

import base64
import html as htmlmod
import re
from datetime import date

import folium
from folium.plugins import MarkerCluster
from matplotlib.colors import to_hex

from geo import clock, formatting
from geo.db import Connection, transaction
from geo.maps.assets import inline_assets, localize
from geo.maps.build import render_parts
from geo.maps.csp import InlineScripts
from geo.maps.scale import MetricScale
from geo.maps.textlayers import CompanyPoints, RegionTooltips
from geo.reports import charts, discrepancy_table, pack_html, staticmaps, tables, texts
from geo.reports.maplayers import MapLegend, RegionLabels
from geo.reports.suppress import is_hidden, show

_ASSET_TAG = re.compile(r"^\s*<(script\b[^>]*\bsrc=|link\b)[^>]*>(\s*</script>)?\s*$", re.I)
CSS = """
body{font-family:system-ui,Segoe UI,Roboto,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:2px solid #2f4b6e;padding-bottom:.2rem}
table.t{border-collapse:collapse;font-size:.8rem;margin:.5rem 0} table.t th{background:#dde6f0;text-align:left}
table.t td,table.t th{border:1px solid #bbb;padding:2px 6px} table.t td.n{text-align:right}
.note{font-size:.8rem;color:#444} .trace{font-size:.75rem;color:#555;border-top:1px solid #ccc;margin-top:2rem}
nav a{display:inline-block;margin-right:.6rem;font-size:.85rem}
.folium-map{border:1px solid #999;margin:.5rem 0}
.tw{overflow-x:auto;max-width:100%}
.charts figure{display:inline-block;vertical-align:top;width:48%;margin:.3rem 0 .6rem;text-align:center}
.charts figure[data-chart=trend]{width:100%} .charts img{max-width:100%;height:auto}
.charts figcaption{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.report-legend{background:rgba(255,255,255,.93);padding:4px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);font-size:12px;line-height:1.35}
.rl-title{font-weight:600;margin-bottom:2px;cursor:pointer}
.rl-swatch{display:inline-block;width:14px;height:10px;border:1px solid #888;margin-right:6px;vertical-align:middle}
.rl-dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin:0 8px 0 3px;vertical-align:middle}
.region-label-icon{pointer-events:none}
.region-label{transform:translate(-50%,-50%);display:inline-flex;flex-direction:column;align-items:center;white-space:nowrap;font-size:11px;line-height:1.15;color:#1d1d1d;text-align:center;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.region-label b{font-size:12px}
@media (max-width:700px){.charts figure{width:100%} .report-legend{font-size:10px;padding:2px 5px}
.leaflet-control-layers-expanded{font-size:11px;padding:2px 6px}}
.report-tip th{text-align:left;padding-right:.6rem}
"""


def _geojson(conn: Connection, level: str, regency: str | None = None) -> dict:
    """Boundaries as GeoJSON (PostGIS builds it), simplified for the browser."""
    cond, params = ("parent_code = %s", [regency]) if regency else ("left(code, 2) = %s", [clock.province()])
    with transaction(conn) as cur:
        cur.execute(f"""SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                            json_build_object('type', 'Feature', 'properties', json_build_object('code', code, 'name', name),
                                              'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.002), 5)::json)
                            ORDER BY code), '[]'::json))
                          FROM boundaries WHERE level = %s AND {cond}""", [level, *params])  # noqa: S608 - fixed text
        return cur.fetchone()[0]


def _label_points(conn: Connection, codes: list[str]) -> list[tuple[str, float, float]]:
    """(code, lat, lon) of each region's label point (as on the PDF maps), largest region first."""
    with transaction(conn) as cur:
        cur.execute("""SELECT code, round(ST_Y(label_point)::numeric, 5)::float, round(ST_X(label_point)::numeric, 5)::float
                         FROM boundaries WHERE code = ANY(%s) ORDER BY ST_Area(geom) DESC, code""", [codes])
        return cur.fetchall()


def _legend_rows(bins, threshold: int | None) -> list[tuple[str, str]]:
    """The PDF map legend's entries (staticmaps), as (colour, text): screen and paper read alike."""
    return [(to_hex(p.get_facecolor()), p.get_label()) for p in staticmaps._legend_items(bins, threshold)]


def _regions(fmap: folium.Map, conn: Connection, fc: dict, values: dict, threshold: int | None, name: str,
             legend_title: str, points: bool) -> None:
    """Regions shaded by workers, each labelled with its name and count, and the map's colour key."""
    bins = staticmaps.classes(list(values.values()), threshold)
    names = {}
    for f in fc["features"]:
        v = values.get(f["properties"]["code"], 0)
        f["properties"]["tka"] = show(v)
        f["properties"]["fill"] = staticmaps._colour(v, bins)
        names[f["properties"]["code"]] = f["properties"]["name"]
    layer = folium.GeoJson(
        fc, name=name,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444", "weight": 1, "fillOpacity": 0.85},
    )
    RegionTooltips([("name", "Wilayah"), ("tka", "TKA")]).add_to(layer)  # names as text, not markup
    layer.add_to(fmap)
    # The weight orders the labels (most workers first); a hidden "<3" weighs 1.
    group = folium.FeatureGroup(name="Label wilayah")
    RegionLabels(fmap.get_name(), layer.get_name(),
                 [[code, lat, lon, staticmaps.short_name(names[code]), show(values.get(code, 0)),
                   _weight(values.get(code, 0))] for code, lat, lon in _label_points(conn, list(names))]).add_to(group)
    group.add_to(fmap)
    MapLegend(legend_title, _legend_rows(bins, threshold),
              "Perusahaan (ukuran = jumlah TKA)" if points else None).add_to(fmap)


def _weight(value) -> int:
    return 1 if is_hidden(value) else value if isinstance(value, int) else 0


def _map(fc: dict) -> folium.Map:
    lats = [p[1] for f in fc["features"] for p in _coords(f["geometry"])]
    lons = [p[0] for f in fc["features"] for p in _coords(f["geometry"])]
    # maxZoom as a map option: marker clusters need it and there is no tile layer to carry it
    m = folium.Map(tiles=None, width="100%", height="480px", control_scale=False, maxZoom=18)
    MetricScale().add_to(m)  # kilometres only
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
            text = formatting.long_date(v) if isinstance(v, date) else show(v)
            cls = ' class="n"' if isinstance(v, int | float) or (isinstance(v, str) and v.startswith("<")) else ""
            cells.append(f"<td{cls}>{htmlmod.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = len(t.rows) - len(rows)
    note = (f'<p class="note">… dan {show(more)} baris lainnya (lihat lampiran XLSX, lembar {t.key}).</p>'
            if more else "")
    # scrolls inside its box on a phone instead of widening the page
    return (f'<h3>{htmlmod.escape(t.title)}</h3><div class="tw"><table class="t"><tr>{head}</tr>{"".join(body)}'
            f"</table></div>{note}")


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{htmlmod.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _figure(chart: charts.Chart) -> str:
    """A chart of the PDF's set: its figures in the alt text, its title (drawn in the image) as a
    caption for screen readers."""
    return (f'<figure class="chart" data-chart="{chart.key}">{_img(chart.png, f"{chart.title}: {chart.words}")}'
            f"<figcaption>{htmlmod.escape(chart.title)}</figcaption></figure>")


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
    points = bool(regency or len(c["companies"]) <= MARKER_LIMIT)
    _regions(top, conn, top_fc, {u["code"]: u["foreign_workers"] for u in units}, t, "TKA",
             "TKA per kecamatan" if regency else "Jumlah TKA", points)
    if points:
        _companies_layer(c["companies"]).add_to(top)
    folium.LayerControl(collapsed=False).add_to(top)
    nav = " ".join(f'<a href="#u-{u["code"]}">{htmlmod.escape(staticmaps.short_name(u["name"]))}</a>' for u in units)
    sections.append(
        f"<h1>{htmlmod.escape(texts.title(m))}</h1>"
        f"<p><b>{htmlmod.escape(m['period_label'])}</b> — {htmlmod.escape(m['agency_name'])}<br>"
        f"Data per {htmlmod.escape(texts.as_of(m))}; status izin per {formatting.long_date(m['reference_day'])}; "
        f"{htmlmod.escape(texts.describe_filter(m))}; hash {m['hash']}</p>"
        f'<p class="note">{htmlmod.escape(texts.suppression_note(m))}</p><nav>{nav}</nav>'
        f"<h2>Ringkasan</h2>{_table(tables.areas(c))}"
        + pack_html.sections(c)  # the meeting pack opens with the follow-up and the changes (issue 19)
        + f"<h2>Peta sebaran TKA</h2>{add_map(top)}"
        + ("" if regency or len(c["companies"]) <= MARKER_LIMIT else
           f'<p class="note">Titik {show(len(c["companies"]))} perusahaan ditampilkan pada peta tiap '
           "kabupaten/kota di bawah (dikelompokkan; perbesar untuk melihat tiap titik).</p>")
        + f'<p class="note">Kelas peta (sama dengan peta di layar dan PDF): {htmlmod.escape(texts.map_classes(c))}</p>'
        + f'<p class="note">{htmlmod.escape(texts.source_note(m))}</p>'
        "<h2>Grafik</h2><div class=\"charts\">"
        + "".join(_figure(chart) for chart in charts.report_charts(c))
        + f'</div><p class="note">{htmlmod.escape(texts.history_note())}</p>'
        f"<h2>Izin</h2>{_table(tables.expiring(c), LIST_LIMIT)}"
        f"<h2>Pemeriksaan</h2>{_table(tables.findings(c))}{_table(tables.inspections(c), LIST_LIMIT)}"
        + f"<h2>{discrepancy_table.TITLE}</h2>" + "".join(_table(t, LIST_LIMIT) for t in discrepancy_table.tables(c))
        + _foreign(c)
    )
    if not regency:
        sections.append("<h2>Atlas per kabupaten/kota</h2>")
        for u in units:
            fc = _geojson(conn, "district", u["code"])
            kids = {d["code"]: d["foreign_workers"] for d in c["districts"] if d["parent_code"] == u["code"]}
            fmap = _map(fc)
            _regions(fmap, conn, fc, kids, t, "TKA per kecamatan", "TKA per kecamatan", True)
            _companies_layer([x for x in c["companies"] if x["regency_code"] == u["code"]]).add_to(fmap)
            sections.append(f'<h3 id="u-{u["code"]}">{htmlmod.escape(u["name"])} ({u["code"]})</h3>{add_map(fmap)}')
    sections.append(f"<h2>Lampiran</h2>{_table(tables.districts(c))}{_table(tables.nationality_by_regency(c))}")
    sections.append(f'<p class="trace">{htmlmod.escape(texts.trace_line(m))}</p>')
    rest = (f"<title>{htmlmod.escape(texts.title(m))} — {htmlmod.escape(m['period_label'])}</title>"
           f"<meta name=\"pantau-hash\" content=\"{m['hash']}\">"
           + "\n".join(heads) + f"<style>{CSS}{pack_html.CSS}</style></head><body>" + "".join(sections)
           + "".join(scripts) + "</body></html>")
    rest = inline_assets(rest, scripts=inline)
    # The policy comes first in <head>, before any script; it needs every hash, hence built last.
    return ('<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">' + _csp_meta(inline.hashes)
            + rest).encode("utf-8")


def _foreign(c: dict) -> str:
    """The "Orang asing" section (issue 17): every table of the XLSX, the activities up to LIST_LIMIT."""
    m, f = c["meta"], c["foreign"]
    return (f'<h2 id="orang-asing">Orang asing</h2><p class="note">{htmlmod.escape(texts.foreign_note(m))}</p>'
            + "".join(_table(t(c)) for t in (tables.foreign_purposes, tables.foreign_permits,
                                              tables.foreign_nationalities))
            + _table(tables.lodging(c)) + f'<p class="note">{htmlmod.escape(texts.lodging_note(f))}</p>'
            + _table(tables.activity_kinds(c)) + _table(tables.activities(c), LIST_LIMIT)
            + f'<p class="note">{htmlmod.escape(texts.activities_note(m))}</p>')


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


