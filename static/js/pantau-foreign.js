/* Pantau foreign nationals' map, run-time part: the numbers per region (choropleth fill, tooltip on
   hover, popup on click with the drill-down link), lodgings with their guest counts, monitoring
   activities per district and, for roles allowed personal data, residence points. The Folium page
   builds the map and empty layers; this fills them. Every text from the data goes through esc(). */
(function () {
  "use strict";

  var LODGING = "#6a3d9a", ACTIVITY = "#1f78b4", RESIDENCE = "#e7298a";

  // A popup replaces the hover tooltip of the same thing (else both cover the map).
  function tipThenPopup(layer, tip, tipOptions, popup, popupOptions) {
    layer.bindTooltip(tip, tipOptions);
    layer.bindPopup(popup, popupOptions);
    layer.on("popupopen", function () { layer.closeTooltip(); });
    return layer;
  }

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  // A count, or a suppressed cell ("<3") as the server sent it.
  function cell(n) {
    return typeof n === "number" ? n.toLocaleString("id-ID") : esc(n);
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

  // Points in their own pane above the regions; the pane takes no pointer events itself, only the
  // SVG paths drawn in it do, so the regions under it keep their hover and click.
  function passivePane(map, name, zIndex) {
    var pane = map.getPane(name) || map.createPane(name);
    pane.style.zIndex = zIndex;
    pane.style.pointerEvents = "none";
    return name;
  }

  function svgPane(map, name, zIndex) {
    return L.svg({ padding: 0.3, pane: passivePane(map, name, zIndex) });
  }

  function rows(pairs) {
    return pairs.map(function (p) {
      return "<tr><th>" + esc(p[0]) + "</th><td>" + cell(p[1]) + "</td></tr>";
    }).join("");
  }

  function tooltipHtml(cfg, name, r) {
    var top = r.by_purpose.slice(0, 3).map(function (p) { return esc(p[0]) + " " + cell(p[1]); }).join(", ") || "–";
    return '<table class="region-tooltip"><tr><th>' + esc(cfg.regionLabel) + "</th><td>" + esc(name) + "</td></tr>" +
      "<tr><th>Orang asing hadir</th><td>" + cell(r.total) + "</td></tr>" +
      "<tr><th>Tujuan utama</th><td>" + top + "</td></tr></table>";
  }

  function popupHtml(cfg, props, r) {
    var html = '<div class="company-popup foreign-region-popup"><h6>' + esc(props.name) + "</h6>" +
      "<table><tr><th>Orang asing hadir</th><td>" + cell(r.total) + "</td></tr></table>";
    if (r.by_purpose.length) {
      html += '<div class="small fw-semibold">Menurut tujuan</div><table>' + rows(r.by_purpose) + "</table>";
    }
    if (r.by_permit.length) {
      html += '<div class="small fw-semibold">Menurut jenis izin</div><table>' + rows(r.by_permit) + "</table>";
    }
    html += '<table class="mt-1"><tr><th>Tamu penginapan 30 hari</th><td>' + cell(r.lodging_guests_30d) + "</td></tr>" +
      (r.activities_12m === null || r.activities_12m === undefined ? "" :
        "<tr><th>Kegiatan pemantauan 12 bulan</th><td>" + cell(r.activities_12m) + "</td></tr>") + "</table>";
    if (props.href) {
      html += '<a href="' + esc(props.href) + '">Buka peta ' + esc(props.name) + "</a>";
    }
    return html + "</div>";
  }

  function applyStats(cfg, data) {
    var items = [], base = cfg.regions.options.style;
    cfg.labels.clearLayers();
    cfg.regions.options.style = function (f) {
      var st = Object.assign({}, typeof base === "function" ? base(f) : base);
      var r = data.regions[f.properties.code];
      if (r) { st.fillColor = r.fill; }
      return st;
    };
    cfg.regions.eachLayer(function (layer) {
      var p = layer.feature.properties, r = data.regions[p.code];
      var el = layer.getElement && layer.getElement();
      if (el) { el.setAttribute("data-code", p.code); }
      cfg.regions.resetStyle(layer);
      if (!r) { return; }
      tipThenPopup(layer, tooltipHtml(cfg, p.name, r), { sticky: true, className: "region-tip" },
                   popupHtml(cfg, p, r), { maxWidth: 320 });
      var lp = p.label_point, value = typeof r.total === "number" ? r.total : 1;
      // Labels are written as text nodes (pantau-labels.js): the plain text, not HTML.
      var text = typeof r.total === "number" ? r.total.toLocaleString("id-ID") : String(r.total);
      items.push({ code: p.code, name: p.label, value: value, valueText: text,
                   latlng: L.latLng(lp[1], lp[0]), bounds: layer.getBounds() });
    });
    var legend = document.querySelector(".pantau-legend");
    if (legend) { legend.innerHTML = data.legend; }  // built and escaped on the server
    if (window.PantauLabels) { cfg.labelSet = window.PantauLabels.attach(cfg.map, cfg.labels, items); }
    document.body.dataset.foreignStats = "1";
  }

  function lodgingPopup(p) {
    return '<div class="company-popup lodging-popup"><h6>' + esc(p[3]) + "</h6><table>" +
      "<tr><th>Alamat</th><td>" + esc(p[4] || "–") + "</td></tr>" +
      "<tr><th>Tamu asing saat ini</th><td>" + cell(p[5]) + "</td></tr>" +
      "<tr><th>Tamu asing 30 hari terakhir</th><td>" + cell(p[6]) + "</td></tr></table></div>";
  }

  function fillLodgings(cfg, data) {
    var renderer = svgPane(cfg.map, "foreignLodgings", 625);
    data.points.forEach(function (p) {
      var m = L.circleMarker([p[2], p[1]], { radius: 8, color: "#fff", weight: 2, fillColor: LODGING,
                                             fillOpacity: 0.95, renderer: renderer });
      tipThenPopup(m, esc(p[3]) + " · tamu saat ini " + cell(p[5]), { direction: "top" },
                   lodgingPopup(p), { maxWidth: 300 });
      m.on("add", function () { var el = m.getElement(); if (el) { el.setAttribute("data-lodging", String(p[0])); } });
      m.addTo(cfg.lodgings);
    });
    document.body.dataset.lodgings = String(data.count);
  }

  function activityPopup(p) {
    var html = '<div class="company-popup activity-popup"><h6>Kegiatan pemantauan · ' + esc(p.name) + "</h6>";
    p.activities.forEach(function (a) {
      html += '<table class="mb-2"><tr><th>Tanggal</th><td>' + esc(a.held_on_text) + "</td></tr>" +
        "<tr><th>Jenis</th><td>" + esc(a.kind_label) + "</td></tr>" +
        "<tr><th>Instansi</th><td>" + esc(a.agencies) + "</td></tr>" +
        (a.targets ? "<tr><th>Sasaran</th><td>" + esc(a.targets) + "</td></tr>" : "") +
        "<tr><th>Temuan</th><td>" + esc(a.findings || "–") + "</td></tr>" +
        "<tr><th>Tindak lanjut</th><td>" + esc(a.follow_up || "–") + "</td></tr></table>";
    });
    return html + "</div>";
  }

  // A square badge with the number of activities, standing on a short stem above the district's
  // label point: the region's own label and a lodging at that point stay visible and clickable.
  function activityIcon(p) {
    return L.divIcon({ className: "foreign-activity-icon",
                       html: '<span style="background:' + ACTIVITY + '">' + p.activities.length + "</span>",
                       iconSize: [22, 30], iconAnchor: [11, 30], popupAnchor: [0, -28], tooltipAnchor: [0, -28] });
  }

  function fillActivities(cfg, data) {
    var pane = passivePane(cfg.map, "foreignActivities", 630);
    data.points.forEach(function (p) {
      var m = L.marker([p.lat, p.lon], { icon: activityIcon(p), pane: pane, keyboard: false });
      tipThenPopup(m, "Kegiatan pemantauan: " + p.activities.length + " · " + esc(p.name), { direction: "top" },
                   activityPopup(p), { maxWidth: 320, maxHeight: 320 });
      m.on("add", function () { var el = m.getElement(); if (el) { el.setAttribute("data-activity", p.district); } });
      m.addTo(cfg.activities);
    });
    document.body.dataset.activities = String(data.count);
  }

  function residencePopup(p) {
    return '<div class="company-popup residence-popup"><h6>Tempat tinggal (data pribadi)</h6><table>' +
      "<tr><th>Tujuan</th><td>" + esc(p[2]) + "</td></tr>" +
      "<tr><th>Izin tinggal</th><td>" + esc(p[3]) + "</td></tr>" +
      "<tr><th>Kewarganegaraan</th><td>" + esc(p[4]) + "</td></tr>" +
      "<tr><th>Titik</th><td>" + (p[5] ? "dilaporkan" : "titik desa (alamat tanpa koordinat)") + "</td></tr></table></div>";
  }

  // Only for roles allowed personal data (the server refuses the others). SVG in a pane of its own,
  // like the lodgings: each point takes its own clicks, the regions the rest.
  function fillResidences(cfg, data) {
    var renderer = svgPane(cfg.map, "foreignResidences", 615);
    data.points.forEach(function (p, i) {
      var m = L.circleMarker([p[1], p[0]], { radius: 5, color: "#fff", weight: 1, fillColor: RESIDENCE, fillOpacity: 0.9,
                                             renderer: renderer });
      m.bindPopup(residencePopup(p), { maxWidth: 280 });
      m.on("add", function () { var el = m.getElement(); if (el) { el.setAttribute("data-residence", String(i)); } });
      m.addTo(cfg.residences);
    });
    document.body.dataset.residences = String(data.count);
  }

  function start(cfg) {
    window.PANTAU_FOREIGN_STATE = cfg;
    if (window.location.protocol === "file:") {
      setStatus("Luring: hanya batas wilayah");
      return Promise.resolve(null);
    }
    setStatus("Memuat data…");
    cfg.regions.eachLayer(function (layer) {
      var el = layer.getElement && layer.getElement();
      if (el) { el.setAttribute("data-code", layer.feature.properties.code); }
    });
    var jobs = [
      getJSON(cfg.statsUrl).then(function (d) { applyStats(cfg, d); }).catch(function (err) {
        document.body.dataset.foreignStats = "error";
        var legend = document.querySelector(".pantau-legend [data-pending]");
        if (legend) { legend.textContent = "Statistik tidak dapat dimuat (" + err.message + ")"; }
      }),
      getJSON(cfg.lodgingsUrl).then(function (d) { fillLodgings(cfg, d); }),
      getJSON(cfg.activitiesUrl).then(function (d) { fillActivities(cfg, d); })
    ];
    if (cfg.residencesUrl && cfg.residences) {
      // Personal data, and each read is audited: fetched only when the person ticks the layer.
      var asked = false;
      cfg.map.on("overlayadd", function (e) {
        if (e.layer !== cfg.residences || asked) { return; }
        asked = true;
        getJSON(cfg.residencesUrl).then(function (d) { fillResidences(cfg, d); })
          .catch(function (err) { asked = false; setStatus("Tempat tinggal tidak dapat dimuat (" + err.message + ")"); });
      });
    }
    return Promise.all(jobs).then(function () {
      setStatus("");
      document.body.dataset.foreignDrawn = "1";
    }).catch(function (err) {
      document.body.dataset.foreignDrawn = "error";
      setStatus("Data tidak dapat dimuat (" + err.message + ")");
    });
  }

  window.PantauForeign = { start: start };
})();
