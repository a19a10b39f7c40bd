/* Pantau monitoring map, run-time part: companies loaded from the server as compact points and
   clustered in the browser (supercluster), inspections and heat layers, drill-down on click,
   minimap and search. The Folium page builds the map, choropleth and empty layers; this fills them. */
(function () {
  "use strict";

  var STATUS = {
    valid: { color: "#1a9850", label: "Berlaku" },
    expiring: { color: "#fdae61", label: "Berakhir dalam 90 hari" },
    expired: { color: "#d73027", label: "Kedaluwarsa" },
    unknown: { color: "#7f7f7f", label: "Tidak tercatat" }
  };

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function number(n) {
    return Number(n || 0).toLocaleString("id-ID");
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(url.split("?")[0] + ": HTTP " + r.status); }
        return r.json();
      });
  }

  function setStatus(text) {
    var el = document.getElementById("map-status");
    if (el) { el.textContent = text; }
  }

  // --- companies: clustering -------------------------------------------------------------------
  function clusterIcon(count) {
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    return L.divIcon({
      html: "<div><span>" + number(count) + "</span></div>",
      className: "marker-cluster marker-cluster-" + size,
      iconSize: L.point(40, 40)
    });
  }

  // Names and dates as on the pages and in the reports (geo/labels.py): the browser's CLDR
  // (Intl), with the same pinned names, e.g. "Tiongkok" for CN.
  var NATIONALITY = { CN: "Tiongkok", HK: "Hong Kong", MO: "Makau", MM: "Myanmar" };
  var REGIONS = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames(["id"], { type: "region" }) : null;
  var LONG_DATE = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  function nationality(code) {
    try { return NATIONALITY[code] || (REGIONS && REGIONS.of(code)) || code; } catch (e) { return code; }
  }

  function longDate(iso) {
    var d = new Date(String(iso).slice(0, 10) + "T00:00:00Z");
    return isNaN(d) ? String(iso) : LONG_DATE.format(d);
  }

  function popupHtml(c, inspections) {
    var nat = Object.keys(c.workers_by_nationality || {}).map(function (k) {
      return esc(nationality(k)) + " " + number(c.workers_by_nationality[k]);
    }).join(", ") || "–";
    var st = STATUS[c.permit_status] || STATUS.unknown;
    var last = inspections && inspections.length ? inspections[0] : null;
    return '<div class="company-popup"><h6>' + esc(c.name) + "</h6>" +
      "<table><tr><th>Sektor</th><td>" + esc(c.sector_label || c.sector) + "</td></tr>" +
      "<tr><th>Pekerja asing</th><td>" + number(c.workers_active) + " (" + nat + ")</td></tr>" +
      "<tr><th>RPTKA</th><td>" + esc(st.label) + (c.rptka_valid_until ? " (s.d. " + esc(longDate(c.rptka_valid_until)) + ")" : "") + "</td></tr>" +
      "<tr><th>Pemeriksaan terakhir</th><td>" + (last ? esc(longDate(last.inspected_on)) : "belum pernah") + "</td></tr>" +
      "<tr><th>Wilayah</th><td>" + esc(c.district_name) + ", " + esc(c.regency_name) + "</td></tr></table>" +
      '<a href="/companies/' + encodeURIComponent(c.id) + '">Lihat detail perusahaan</a></div>';
  }

  function openPopup(map, latlng, id) {
    var popup = L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent("Memuat…").openOn(map);
    Promise.all([getJSON("/api/companies/" + id), getJSON("/api/companies/" + id + "/inspections")
      .catch(function () { return []; })])
      .then(function (res) {
        var insp = Array.isArray(res[1]) ? res[1] : (res[1].items || res[1].inspections || []);
        popup.setContent(popupHtml(res[0], insp));
      })
      .catch(function () { popup.setContent("Data perusahaan tidak dapat dimuat."); });
  }

  function CompanyLayer(cfg, data) {
    this.cfg = cfg;
    this.map = cfg.map;
    this.status = data.status;
    this.features = data.points.map(function (p) {
      return { type: "Feature", geometry: { type: "Point", coordinates: [p[1], p[2]] },
               properties: { id: p[0], s: p[3], i: p[4] } };
    });
    this.index = new Supercluster({ radius: 60, maxZoom: 16 }).load(this.features);
    this.drawn = 0;
    // Points in their own panes above the region polygons (overlayPane), below popups. A pane spans
    // the whole map: it takes no pointer events itself (else no region under it gets hover or
    // click), only the points drawn in it do. Company points are SVG, whose paths take their own
    // events (Leaflet's .leaflet-interactive); a canvas would catch every event over the map. The
    // inspection rings (not interactive, possibly thousands) stay on a canvas. (The heat map's
    // canvas lies in the overlay pane under the regions' SVG, z-index 200: no matter.)
    this.svg = L.svg({ padding: 0.3, pane: passivePane(this.map, "companies", 620) });
    this.canvas = L.canvas({ padding: 0.3, pane: passivePane(this.map, "inspectionRings", 615) });
  }

  function passivePane(map, name, zIndex) {
    var pane = map.getPane(name) || map.createPane(name);
    pane.style.zIndex = zIndex;
    pane.style.pointerEvents = "none";
    return name;
  }

  CompanyLayer.prototype.draw = function () {
    var map = this.map, group = this.cfg.companies, self = this;
    var b = map.getBounds();
    var clusters = this.index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
                                          Math.round(map.getZoom()));
    group.clearLayers();
    var markers = 0, shown = 0;
    clusters.forEach(function (f) {
      var c = f.geometry.coordinates, latlng = L.latLng(c[1], c[0]), layer;
      if (f.properties.cluster) {
        layer = L.marker(latlng, { icon: clusterIcon(f.properties.point_count) });
        layer.on("click", function () {
          map.flyTo(latlng, Math.min(self.index.getClusterExpansionZoom(f.properties.cluster_id), 18));
        });
        shown += f.properties.point_count;
      } else {
        var st = STATUS[self.status[f.properties.s]] || STATUS.unknown;
        layer = L.circleMarker(latlng, { radius: 7, color: "#222", weight: 1, fillColor: st.color,
                                         fillOpacity: 0.95, renderer: self.svg });
        layer.on("click", function () { openPopup(map, latlng, f.properties.id); });
        shown += 1;
      }
      layer.addTo(group);
      markers += 1;
    });
    this.drawn = markers;
    document.body.dataset.markers = String(markers);
    document.body.dataset.companiesInView = String(shown);
    document.body.dataset.markersDrawn = "1";
    if (!document.body.dataset.markersAt) { document.body.dataset.markersAt = String(Math.round(performance.now())); }
  };

  CompanyLayer.prototype.fillInspections = function () {
    var group = this.cfg.inspections, canvas = this.canvas;
    this.features.forEach(function (f) {
      if (!f.properties.i) { return; }
      var c = f.geometry.coordinates;
      L.circleMarker([c[1], c[0]], { radius: 11, color: "#2b5cab", weight: 2.5, fill: false,
                                     renderer: canvas, interactive: false }).addTo(group);
    });
  };

  CompanyLayer.prototype.fillHeat = function () {
    if (typeof L.heatLayer !== "function") { return; }
    var pts = this.features.map(function (f) {
      return [f.geometry.coordinates[1], f.geometry.coordinates[0], 1];
    });
    this.cfg.heat.addLayer(L.heatLayer(pts, { radius: 18, blur: 20, maxZoom: 11, minOpacity: 0.3 }));
  };

  // --- regions: drill-down, minimap, search ----------------------------------------------------
  function bindRegions(cfg) {
    cfg.regions.eachLayer(function (layer) {
      var href = layer.feature && layer.feature.properties.href;
      var el = layer.getElement && layer.getElement();
      if (el) { el.setAttribute("data-code", layer.feature.properties.code); }
      if (href) {
        layer.on("click", function () { window.location.href = href; });
        if (el) { el.classList.add("region-link"); }
      }
    });
  }

  function addMinimap(cfg) {
    if (!L.Control.MiniMap) { return; }
    // The whole province for context (the page's own regions can be a speck at district level),
    // at a fixed zoom; the red rectangle shows where the main map is.
    var outline = L.geoJSON(cfg.context || cfg.regions.toGeoJSON(), {
      style: { color: "#555", weight: 0.8, fillColor: "#cfd8dc", fillOpacity: 1 }, interactive: false
    });
    new L.Control.MiniMap(outline, {
      position: "bottomleft", toggleDisplay: true, zoomLevelFixed: 5, width: 150, height: 130,
      aimingRectOptions: { color: "#c0392b", weight: 2, fillOpacity: 0.04, fillColor: "#c0392b" },
      shadowRectOptions: { color: "#000", weight: 1, opacity: 0, fillOpacity: 0 },
      strings: { hideText: "Sembunyikan peta kecil", showText: "Tampilkan peta kecil" }
    }).addTo(cfg.map);
  }

  // The search box asks the server (/api/search): regions of every level and the companies of the
  // user's regions, not only what this page draws. Choosing a region opens its map page (a village:
  // its district's, focused on it) with this page's filter; a company drawn here is shown with its
  // popup, any other opens its page. A saved page (no server) searches the regions it draws.
  function addSearch(cfg) {
    if (!L.Control.Search) { return; }
    var picks = {};
    function pick(out, key, value) {
      // Keys are the tips' texts, names as typed by editors: one such as "hasOwnProperty" must not
      // shadow the method leaflet-search calls on this object.
      if (key in Object.prototype) { return; }
      out[key] = value.latlng;
      picks[key] = value;
    }
    function drawnRegions(text, out) {
      var q = text.toLowerCase();
      cfg.regions.eachLayer(function (layer) {
        var p = layer.feature.properties;
        if (p.name.toLowerCase().indexOf(q) >= 0) {
          pick(out, "Wilayah: " + p.name, { kind: "drawn", latlng: layer.getBounds().getCenter(), bounds: layer.getBounds() });
        }
      });
    }
    function source(text, callResponse) {
      var out = {}, controller = window.AbortController ? new AbortController() : null;
      picks = {};
      fetch("/api/search?" + new URLSearchParams({ q: text, limit: "10" }), {
        credentials: "same-origin", headers: { Accept: "application/json" }, signal: controller && controller.signal
      }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (res) {
        (res.regions || []).forEach(function (r) {
          var b = L.latLngBounds([r.bbox[1], r.bbox[0]], [r.bbox[3], r.bbox[2]]);
          pick(out, "Wilayah: " + r.label, { kind: "region", latlng: b.getCenter(), bounds: b, region: r });
        });
        (res.companies || []).forEach(function (c) {
          var key = c.name in out ? c.name + " (" + (c.district_name || c.id) + ")" : c.name;
          pick(out, key, { kind: "company", latlng: L.latLng(c.lat, c.lon), company: c });
        });
        callResponse(out);
      }).catch(function (err) {
        if (err && err.name === "AbortError") { return; }  // a newer text is being looked up
        drawnRegions(text, out);
        callResponse(out);
      });
      return { abort: function () { if (controller) { controller.abort(); } } };
    }
    function go(latlng, title, map) {
      var p = picks[title];
      if (!p) { map.panTo(latlng); return; }
      if (p.kind === "company") {
        var st = window.PANTAU_STATE, id = p.company.id;
        var here = st && st.layer && st.layer.features.some(function (f) { return f.properties.id === id; });
        if (!here) { window.location.href = p.company.href; return; }
        map.setView(latlng, 15);
        openPopup(map, latlng, id);
        return;
      }
      if (p.kind === "region") {
        var parts = p.region.href.split("#"), path = parts[0];
        if (path !== window.location.pathname) {
          window.location.href = path + window.location.search + (parts[1] ? "#" + parts[1] : "");
          return;
        }
        if (focusRegion(cfg, p.region.code)) { return; }
      }
      map.fitBounds(p.bounds, { maxZoom: 14 });
    }
    // leaflet-search writes a tip's text as HTML unless buildTip makes the element: names are data.
    function buildTip(text) {
      var li = L.DomUtil.create("li", "");
      li.textContent = text;
      return li;
    }
    cfg.map.addControl(new L.Control.Search({
      sourceData: source, formatData: function (records) { return records; }, buildTip: buildTip,
      // The server has matched the names (also spelt alike); show all it found, in its order.
      filterData: function (text, records) { return records; }, moveToLocation: go,
      position: "topleft", marker: false, minLength: 2, initial: false,
      textPlaceholder: "Cari wilayah atau perusahaan…", textErr: "Tidak ditemukan (not found)", textCancel: "Batal"
    }));
  }

  // A region drawn on this page: fitted and outlined (a search result, or #focus=code in the URL).
  function focusRegion(cfg, code) {
    var found = null;
    cfg.regions.eachLayer(function (layer) {
      if (layer.feature.properties.code === code) { found = layer; }
    });
    if (!found) { return false; }
    cfg.map.fitBounds(found.getBounds(), { maxZoom: 15 });
    found.setStyle({ weight: 4, color: "#0d47a1" });
    found.bringToFront();
    cfg.focusCode = code;
    document.body.dataset.focus = code;
    return true;
  }

  function addMeasure(cfg) {
    if (!L.control.polylineMeasure) { return; }
    L.control.polylineMeasure({
      position: "topleft", unit: "kilometres", showBearings: false, showClearControl: true,
      measureControlTitleOn: "Ukur jarak", measureControlTitleOff: "Berhenti mengukur",
      clearControlTitle: "Hapus pengukuran",
      tooltipTextFinish: "Klik untuk <b>mengakhiri garis</b><br>",
      tooltipTextDelete: "Tekan SHIFT dan klik untuk <b>menghapus titik</b>",
      tooltipTextMove: "Klik dan seret untuk <b>memindahkan titik</b><br>",
      tooltipTextResume: "<br>Tekan CTRL dan klik untuk <b>melanjutkan garis</b>",
      tooltipTextAdd: "Tekan CTRL dan klik untuk <b>menambah titik</b>"
    }).addTo(cfg.map);
  }

  // --- regions: numbers, colours, tooltips, labels and legend (fetched, not in the HTML) ------
  function tooltipHtml(cfg, name, r) {
    var rows = "<tr><th>" + esc(cfg.regionLabel) + "</th><td>" + esc(name) + "</td></tr>";
    Object.keys(cfg.measures).forEach(function (k) {
      rows += "<tr><th>" + esc(cfg.measures[k]) + "</th><td>" + number(r.values[k]) + "</td></tr>";
    });
    rows += "<tr><th>Kewarganegaraan</th><td>" + esc(r.nationalities) + "</td></tr>";
    return '<table class="region-tooltip">' + rows + "</table>";
  }

  function applyStats(cfg, data) {
    var items = [], base = cfg.regions.options.style;
    cfg.labels.clearLayers();
    // The GeoJSON layer's style (Folium's highlight resets to it on mouseout) now takes the fill
    // from the numbers.
    cfg.regions.options.style = function (f) {
      var st = Object.assign({}, typeof base === "function" ? base(f) : base);
      var r = data.regions[f.properties.code];
      if (r) { st.fillColor = r.fill; }
      if (f.properties.code === cfg.focusCode) { st.weight = 4; st.color = "#0d47a1"; }
      return st;
    };
    cfg.regions.eachLayer(function (layer) {
      var p = layer.feature.properties, r = data.regions[p.code];
      cfg.regions.resetStyle(layer);
      if (!r) { return; }
      layer.bindTooltip(tooltipHtml(cfg, p.name, r), { sticky: true, className: "region-tip" });
      var lp = p.label_point, value = r.values[data.measure] || 0;
      items.push({ code: p.code, name: p.label, value: value, valueText: number(value),
                   latlng: L.latLng(lp[1], lp[0]), bounds: layer.getBounds() });
    });
    var legend = document.querySelector(".pantau-legend");
    if (legend) { legend.innerHTML = data.legend; }  // built and escaped on the server (geo.maps.legend)
    // By importance, each non-zero region labelled (static/js/pantau-labels.js).
    cfg.labelSet = window.PantauLabels.attach(cfg.map, cfg.labels, items);
    document.body.dataset.statsDrawn = "1";
    document.body.dataset.statsAt = String(Math.round(performance.now()));
  }

  function start(cfg) {
    var map = cfg.map, offline = window.location.protocol === "file:";
    // Both requests leave at once; the outlines are already drawn from the HTML.
    var points = offline ? null : getJSON(cfg.pointsUrl);
    var stats = offline ? null : getJSON(cfg.statsUrl);
    bindRegions(cfg);
    addMeasure(cfg);
    addMinimap(cfg);
    addSearch(cfg);
    var focus = /^#focus=([0-9.]+)$/.exec(window.location.hash);
    if (focus) { focusRegion(cfg, focus[1]); }
    if (offline) {  // a saved page: outlines only, no server to ask
      document.body.dataset.markersDrawn = "offline";
      setStatus("Luring: hanya batas wilayah");
      return Promise.resolve(null);
    }
    setStatus("Memuat data…");
    var statsDone = stats.then(function (data) { applyStats(cfg, data); })
      .catch(function (err) {
        document.body.dataset.statsDrawn = "error";
        var legend = document.querySelector(".pantau-legend [data-pending]");
        if (legend) { legend.textContent = "Statistik tidak dapat dimuat (" + err.message + ")"; }
      });
    var pointsDone = points.then(function (data) {
      var layer = new CompanyLayer(cfg, data);
      window.PANTAU_STATE = { total: data.count, layer: layer };
      document.body.dataset.companiesTotal = String(data.count);
      layer.draw();
      map.on("moveend", function () { layer.draw(); });
      layer.fillInspections();
      layer.fillHeat();
      setStatus(number(data.count) + " perusahaan sesuai filter");
      return layer;
    }).catch(function (err) {
      document.body.dataset.markersDrawn = "error";
      setStatus("Perusahaan tidak dapat dimuat (" + err.message + ")");
    });
    return Promise.all([pointsDone, statsDone]).then(function (res) { return res[0]; });
  }

  window.PantauMap = { start: start };
})();
