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

  // Region labels placed as on the web maps (static/js/pantau-labels.js): by importance, every
  // region with workers labelled (centred, as a callout, or a numbered badge with a key), those
  // without only where they fit. rows: [code, lat, lon, name, count as shown, weight].
  function labels(map, group, regions, rows) {
    var bounds = {};
    regions.eachLayer(function (layer) {
      if (layer.feature) { bounds[layer.feature.properties.code] = layer.getBounds(); }
    });
    var items = rows.map(function (r) {
      return { code: r[0], latlng: L.latLng(r[1], r[2]), name: r[3], valueText: r[4], value: r[5],
               bounds: bounds[r[0]] || L.latLngBounds([r[1], r[2]], [r[1], r[2]]) };
    });
    // Placed once the group is on the map: the labels are measured as drawn.
    function attach() { window.PantauLabels.attach(map, group, items); }
    if (map.hasLayer(group)) { attach(); } else { group.once("add", attach); }
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
