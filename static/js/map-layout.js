/* The two controls on the map's right edge, the layer list (top) and the legend (bottom), never
   overlap: the legend gets the height left below the layer list and scrolls inside it; where even
   that is too little it folds to its title. On a phone both start folded (the layer list as
   Leaflet's layers button, the legend as its title) and opening one folds the other. Layout only:
   the map's content and interaction are static/js/pantau-map.js's. */
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 575.98px)");
  var GAP = 10;         // px between the two controls
  var MIN_LEGEND = 90;  // px: below this the legend folds rather than scroll in a slit

  function setUp(map) {
    var layers = map.querySelector(".leaflet-control-layers");
    var legend = map.querySelector(".pantau-legend");
    if (!legend) { return; }
    var EXPANDED = "leaflet-control-layers-expanded";
    var userOpened = false;  // the person unfolded the legend: do not fold it back on every resize

    function layersOpen() { return !!layers && layers.classList.contains(EXPANDED); }

    function foldLayers() { if (layers) { layers.classList.remove(EXPANDED); } }

    function setFolded(folded) {
      legend.classList.toggle("lg-folded", folded);
      legend.setAttribute("aria-expanded", folded ? "false" : "true");
    }

    function fit() {
      var bottom = legend.getBoundingClientRect().bottom;
      var top = map.getBoundingClientRect().top + GAP;
      if (layers) { top = Math.max(top, layers.getBoundingClientRect().bottom + GAP); }
      var room = Math.floor(bottom - top);
      if (!legend.classList.contains("lg-folded")) {
        if (room < MIN_LEGEND && !userOpened) {
          setFolded(true);
        } else if (room < MIN_LEGEND && layersOpen()) {
          foldLayers();  // the person chose the legend: the layer list steps back
          return fit();
        }
      }
      legend.style.maxHeight = Math.max(room, 0) + "px";
      if (legend.classList.contains("lg-folded") && legend.scrollHeight > room && layersOpen()) {
        foldLayers();
      }
    }

    legend.setAttribute("role", "button");
    legend.setAttribute("tabindex", "0");
    legend.title = "Legenda: ketuk untuk membuka atau menutup";
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
      // Links or text selection inside an open legend stay usable; only the title folds it there.
      if (!legend.classList.contains("lg-folded") && !e.target.closest(".lg-title")) { return; }
      toggleLegend();
    });
    legend.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggleLegend(); }
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

    var again = function () { window.requestAnimationFrame(fit); };
    if (window.ResizeObserver) {
      var watch = new ResizeObserver(again);
      watch.observe(map);
      if (layers) { watch.observe(layers); }
    }
    window.addEventListener("resize", again);
    // The legend's content arrives with the statistics (fetched after the page).
    new MutationObserver(again).observe(legend, { childList: true, subtree: true });
    fit();
  }

  Array.prototype.forEach.call(document.querySelectorAll(".folium-map"), setUp);
})();
