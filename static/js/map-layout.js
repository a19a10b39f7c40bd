/* Controls on the map never cover each other. Leaflet stacks the controls of one corner; across
   corners nothing stops them meeting, so here:
   - the legend (bottom right) gets the height left below the top-right controls (the layer list)
     and scrolls inside it, or folds to its title where that is too little;
   - the bottom-left stack (scale, minimap, key of numbered labels) stays below the top-left
     buttons: the minimap steps aside first, then the key scrolls or steps aside;
   - on a phone the two bottom boxes share the width half and half, both folding controls start
     folded, and opening the layer list folds the legend and the other way round.
   Layout only: the map's content and interaction are static/js/pantau-map.js's and pantau-labels.js's. */
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 575.98px)");
  var GAP = 10;         // px between controls
  var MIN_LEGEND = 90;  // px: below this the legend folds rather than scroll in a slit
  var MIN_KEY = 40;     // px: the numbered key's title and one line
  var EXPANDED = "leaflet-control-layers-expanded";

  // The lowest bottom of the top-corner controls above `el` (any corner: a wide layer list reaches
  // over to the left), plus the gap: how high `el` may grow from its bottom edge.
  function ceiling(map, el, top) {
    var e = el.getBoundingClientRect();
    Array.prototype.forEach.call(map.querySelectorAll(".leaflet-top > .leaflet-control"), function (c) {
      var r = c.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && r.left < e.right && r.right > e.left) { top = Math.max(top, r.bottom); }
    });
    return top + GAP;
  }

  function setUp(map) {
    var layers = map.querySelector(".leaflet-control-layers");
    var legend = map.querySelector(".pantau-legend");
    var topLeft = map.querySelector(".leaflet-top.leaflet-left");
    var topRight = map.querySelector(".leaflet-top.leaflet-right");
    if (!legend) { return; }
    var userOpened = false;  // the person unfolded the legend: do not fold it back on every resize

    function layersOpen() { return !!layers && layers.classList.contains(EXPANDED); }

    function foldLayers() { if (layers) { layers.classList.remove(EXPANDED); } }

    // The legend's title is its fold button (the legend's content is replaced when the numbers
    // arrive, so the title is marked again after each change).
    function markTitle() {
      var title = legend.querySelector(".lg-title");
      if (!title) { return; }
      title.setAttribute("role", "button");
      title.setAttribute("tabindex", "0");
      title.setAttribute("aria-expanded", legend.classList.contains("lg-folded") ? "false" : "true");
      title.title = "Legenda: buka atau tutup";
    }

    function setFolded(folded) {
      legend.classList.toggle("lg-folded", folded);
      markTitle();
    }

    // The bottom-left stack (scale, minimap, numbered key) below the top-left buttons: the minimap
    // steps aside first, then the key scrolls in the room left, or steps aside below its title.
    function fitLeft(box) {
      var corner = map.querySelector(".leaflet-bottom.leaflet-left");
      if (!corner) { return; }
      var key = corner.querySelector(".pantau-label-key");  // added and refilled by pantau-labels.js
      var mini = corner.querySelector(".leaflet-control-minimap");
      if (mini) { mini.style.display = ""; }
      if (key) { key.style.display = "none"; }
      if (mini && corner.getBoundingClientRect().top < ceiling(map, corner, box.top)) { mini.style.display = "none"; }
      if (!key) { return; }
      key.style.display = "";  // measured where it would be
      key.style.maxWidth = PHONE.matches ? Math.floor(box.width / 2 - 1.5 * GAP) + "px" : "";
      var room = Math.floor(key.getBoundingClientRect().bottom - ceiling(map, key, box.top));
      key.style.display = room < MIN_KEY ? "none" : "";
      key.style.maxHeight = Math.max(room, 0) + "px";
    }

    function fit() {
      markTitle();
      var box = map.getBoundingClientRect();
      legend.style.maxWidth = PHONE.matches ? Math.floor(box.width / 2 - 1.5 * GAP) + "px" : "";
      fitLeft(box);
      var room = Math.floor(legend.getBoundingClientRect().bottom - ceiling(map, legend, box.top));
      if (!legend.classList.contains("lg-folded") && room < MIN_LEGEND) {
        if (!userOpened) {
          setFolded(true);
        } else if (layersOpen()) {
          foldLayers();  // the person chose the legend: the layer list steps back
          return fit();
        }
      }
      legend.style.maxHeight = Math.max(room, 0) + "px";
      if (legend.classList.contains("lg-folded") && legend.scrollHeight > room && layersOpen()) {
        foldLayers();
      }
    }

    setFolded(PHONE.matches);
    if (PHONE.matches) { foldLayers(); }

    function toggleLegend() {
      var fold = !legend.classList.contains("lg-folded");
      userOpened = !fold;
      setFolded(fold);
      if (!fold && PHONE.matches) { foldLayers(); }
      fit();
    }
    legend.addEventListener("click", function (e) {
      // Inside an open legend only the title folds it (text stays selectable).
      if (!legend.classList.contains("lg-folded") && !e.target.closest(".lg-title")) { return; }
      toggleLegend();
    });
    legend.addEventListener("keydown", function (e) {
      if ((e.key === "Enter" || e.key === " ") && e.target.closest(".lg-title")) { e.preventDefault(); toggleLegend(); }
    });
    if (layers) {
      // Leaflet's layers button opens the list; on a phone that folds the legend.
      layers.addEventListener("click", function () {
        if (PHONE.matches && layersOpen()) { setFolded(true); userOpened = false; }
        fit();
      });
      // A tap on the map itself folds the list again on a phone (Leaflet does so only when the
      // control was created folded).
      map.addEventListener("click", function (e) {
        if (PHONE.matches && layersOpen() && !layers.contains(e.target)) { foldLayers(); fit(); }
      });
    }

    var pending = false;
    var again = function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fit(); });
    };
    if (window.ResizeObserver) {
      var watch = new ResizeObserver(again);
      [map, topLeft, topRight].forEach(function (el) { if (el) { watch.observe(el); } });
    }
    window.addEventListener("resize", again);
    // The legend's content arrives with the statistics, the key's with the labels (both after the page).
    var changes = new MutationObserver(again);
    changes.observe(legend, { childList: true, subtree: true });
    var bottomLeft = map.querySelector(".leaflet-bottom.leaflet-left");
    if (bottomLeft) { changes.observe(bottomLeft, { childList: true, subtree: true }); }
    fit();
  }

  Array.prototype.forEach.call(document.querySelectorAll(".folium-map"), setUp);
})();
