/* Pantau offline HTML report: the companies and region tooltips of each map, from the JSON that
   geo/maps/textlayers.py writes. Every text from the data becomes a DOM text node, never markup or
   script. Inlined into the report by geo.maps.assets.inline_assets (no network from file://). */
(function () {
  "use strict";

  function textDiv(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div;
  }

  // rows: [lat, lon, tooltip text, radius]; the tooltip element is made when first shown.
  function companies(group, rows) {
    var markers = rows.map(function (r) {
      var m = L.circleMarker([r[0], r[1]], { radius: r[3], color: "white", weight: 1, fillColor: "#2166ac",
                                             fillOpacity: 0.85 });
      m.bindTooltip(function () { return textDiv(r[2]); }, { sticky: true });
      return m;
    });
    if (typeof group.addLayers === "function") {  // a marker cluster: one batch
      group.addLayers(markers);
    } else {
      markers.forEach(function (m) { group.addLayer(m); });
    }
  }

  // fields: [[property, label]]: a two-column table per region.
  function regionTooltips(layer, fields) {
    layer.eachLayer(function (region) {
      var props = (region.feature && region.feature.properties) || {};
      region.bindTooltip(function () {
        var table = document.createElement("table");
        table.className = "report-tip";
        fields.forEach(function (f) {
          var row = table.insertRow(), th = document.createElement("th");
          th.textContent = f[1];
          row.appendChild(th);
          row.insertCell().textContent = props[f[0]] === null || props[f[0]] === undefined ? "" : String(props[f[0]]);
        });
        return table;
      }, { sticky: true });
    });
  }

  // Region labels ("name" over "count"), most important first: [lat, lon, text]. Each is a text node
  // in a non-interactive pane above the regions; a label that would overlap one already shown is
  // hidden at this zoom and may appear when zoomed in (as the PDF leaves out what does not fit).
  function labels(map, group, rows) {
    var markers = rows.map(function (r) {
      var span = document.createElement("span");
      span.textContent = r[2];
      return L.marker([r[0], r[1]], { icon: L.divIcon({ className: "report-label", html: span, iconSize: null }),
                                      interactive: false, keyboard: false, pane: "reportLabels" });
    });

    function declutter() {
      // the legend, layer list, zoom and scale controls are obstacles too
      var taken = Array.prototype.map.call(map.getContainer().querySelectorAll(".leaflet-control"),
                                           function (c) { return c.getBoundingClientRect(); });
      markers.forEach(function (m) {
        var el = m.getElement();
        if (!el) { return; }
        el.style.visibility = "";
        var r = el.firstChild.getBoundingClientRect(), size = map.getContainer().getBoundingClientRect();
        var outside = r.left < size.left || r.right > size.right || r.top < size.top || r.bottom > size.bottom;
        var hit = outside || taken.some(function (t) {
          return r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top;
        });
        if (hit) {
          el.style.visibility = "hidden";
        } else {
          taken.push(r);
        }
      });
    }

    if (!map.getPane("reportLabels")) {
      var pane = map.createPane("reportLabels");
      pane.style.zIndex = 450;  // above regions and company points (400), below tooltips (650)
      pane.style.pointerEvents = "none";
    }
    markers.forEach(function (m) { group.addLayer(m); });
    group.on("add", declutter);
    map.on("zoomend moveend resize", declutter);
    declutter();
  }

  // The colour key of a map: {title, rows: [[colour, text]], points: text or null}. Text nodes only.
  // A <details>: open on a wide map, folded to its title on a phone (a tap opens it).
  function legend(map, spec) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("details", "report-legend");
      var title = document.createElement("summary");
      title.className = "rl-title";
      title.textContent = spec.title;
      div.appendChild(title);
      div.open = map.getSize().x >= 600;
      function row(kind, colour, text) {
        var line = document.createElement("div"), mark = document.createElement("span");
        line.className = "rl-row";
        mark.className = kind;
        mark.style.background = colour;
        line.appendChild(mark);
        line.appendChild(document.createTextNode(text));
        div.appendChild(line);
      }
      spec.rows.forEach(function (r) { row("rl-swatch", r[0], r[1]); });
      if (spec.points) { row("rl-dot", "#2166ac", spec.points); }
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    control.addTo(map);
  }

  window.PantauReport = { companies: companies, regionTooltips: regionTooltips, labels: labels, legend: legend };
})();
