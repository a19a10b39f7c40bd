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

  window.PantauReport = { companies: companies, regionTooltips: regionTooltips };
})();
