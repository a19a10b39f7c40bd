/* Pantau map base layers (geo/maps/basemap.py): "Tanpa peta dasar", a raster tile server, a vector
   basemap from a local PMTiles file served by Pantau (drawn by protomaps-leaflet, works offline),
   satellite imagery. Offered as radio buttons in the map's layer control; the choice is remembered
   in this browser across pages. Attributions arrive escaped (Leaflet writes them as HTML). */
(function () {
  "use strict";

  var KEY = "pantau.basemap";

  function remembered() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }

  function remember(id) {
    try { window.localStorage.setItem(KEY, id); } catch (e) { /* private mode: not remembered */ }
  }

  // The light style draws rivers mapped as lines only from zoom 14; regency and district maps (zoom
  // 7-12) need them too: in Kalimantan places are told by their river.
  function addRiverLines(layer) {
    var P = window.protomapsL;
    if (!P.LineSymbolizer || !Array.isArray(layer.paintRules)) { return; }
    layer.paintRules.push({
      dataLayer: "water", minzoom: 7, maxzoom: 13,
      symbolizer: new P.LineSymbolizer({ color: "#80deea", width: function (z) { return z < 10 ? 1.2 : z < 12 ? 1.8 : 2.5; } }),
      filter: function (z, f) { return f.geomType === 2 && f.props.kind === "river"; }
    });
  }

  function makeLayer(o) {
    if (o.kind === "none") { return L.layerGroup(); }
    if (o.kind === "pmtiles") {
      if (!window.protomapsL) { return null; }
      var layer = window.protomapsL.leafletLayer({
        url: o.url, flavor: "light", lang: "id", maxDataZoom: o.maxDataZoom, attribution: o.attribution,
        className: "pantau-basemap-vector"
      });
      addRiverLines(layer);
      return layer;
    }
    // The page sends no Referer (its address holds the filters); tile servers that ask for one
    // (OpenStreetMap's) get this site's origin only.
    return L.tileLayer(o.url, { attribution: o.attribution, maxZoom: 18, className: "pantau-basemap-tiles",
                                referrerPolicy: "strict-origin" });
  }

  function start(cfg) {
    var map = cfg.map, layers = {}, first = null;
    cfg.layers.forEach(function (o) {
      var layer = makeLayer(o);
      if (!layer) { return; }
      layer.pantauBasemap = o.id;
      layers[o.id] = layer;
      if (!first && o.kind !== "none") { first = o.id; }
      cfg.control.addBaseLayer(layer, o.label);
    });
    if (!first) { return; }

    function mark(id) {
      // With a base map the choropleth is lighter, so rivers, roads and towns show through.
      map.getContainer().classList.toggle("pantau-basemap-on", id !== "none");
      document.body.dataset.basemap = id;
    }

    map.on("baselayerchange", function (e) {
      if (!e.layer.pantauBasemap) { return; }
      remember(e.layer.pantauBasemap);
      mark(e.layer.pantauBasemap);
    });
    var want = remembered();
    var id = Object.prototype.hasOwnProperty.call(layers, want) ? want : first;
    layers[id].addTo(map);
    mark(id);
  }

  window.PantauBasemap = { start: start };
})();
