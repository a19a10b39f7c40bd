/* Pantau map labels: where each region's name and number go on screen.

   Labels are placed by importance: the region's value for the map's measure first (then its size
   on screen), greedily, each where it covers no label placed before it, no map control and stays
   inside the map. Every region with a non-zero value gets a label at the current zoom: centred on
   its label point when there is room, else a callout with a leader line to a free spot nearby,
   else a numbered badge with its name and number in a key on the map ("Keterangan nomor").
   Regions with zero show their label only where it fits centred on a region wide enough for it.
   Names reach the page as text nodes only. */
(function () {
  "use strict";

  var GAP = 2;            // px kept between two labels
  var MIN_REGION_PX = 40; // a zero-valued region narrower than this on screen gets no label
  var RINGS = [10, 24, 42, 66, 96, 130, 170];  // px from the label point to a callout's nearest edge
  var BADGE_RINGS = [6, 16, 30, 48, 72, 100, 140];
  var BADGE = 18;         // px: a numbered badge's size

  function box(x, y, w, h) { return { l: x - w / 2, r: x + w / 2, t: y - h / 2, b: y + h / 2, x: x, y: y }; }

  function hits(a, b, pad) { return a.l < b.r + pad && a.r > b.l - pad && a.t < b.b + pad && a.b > b.t - pad; }

  function inside(b, view) { return b.l >= 2 && b.t >= 2 && b.r <= view.w - 2 && b.b <= view.h - 2; }

  // Whether the segment a→b crosses the box (Liang–Barsky clipping).
  function crosses(ax, ay, bx, by, r) {
    var t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    var p = [-dx, dx, -dy, dy], q = [ax - r.l, r.r - ax, ay - r.t, r.b - ay];
    for (var i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) { return false; } continue; }
      var t = q[i] / p[i];
      if (p[i] < 0) { if (t > t1) { return false; } if (t > t0) { t0 = t; } }
      else { if (t < t0) { return false; } if (t < t1) { t1 = t; } }
    }
    return t0 < t1;
  }

  // Where a leader from the anchor meets the label's box.
  function edgePoint(b, ax, ay) {
    var vx = ax - b.x, vy = ay - b.y, hw = (b.r - b.l) / 2, hh = (b.b - b.t) / 2;
    var s = Math.min(vx ? hw / Math.abs(vx) : Infinity, vy ? hh / Math.abs(vy) : Infinity);
    return s >= 1 ? { x: ax, y: ay } : { x: b.x + vx * s, y: b.y + vy * s };
  }

  // Callout directions (in eighths of a turn, counter-clockwise from the right): right, left, up,
  // down, the diagonals, then the sixteenths between them.
  var DIRECTIONS = [0, 8, 4, 12, 2, 6, 14, 10, 1, 7, 3, 5, 15, 9, 13, 11].map(function (k) {
    return [Math.cos(k * Math.PI / 8), Math.sin(k * Math.PI / 8)];
  });

  // Callout centres around an anchor, nearest ring first.
  function callouts(ax, ay, w, h, rings) {
    var out = [];
    rings.forEach(function (r) {
      DIRECTIONS.forEach(function (d) {
        // The box's nearest edge is about r px from the anchor whichever the direction.
        out.push([ax + d[0] * (w / 2 + r), ay - d[1] * (h / 2 + r)]);
      });
    });
    return out;
  }

  /* The placement, free of Leaflet and the DOM (container pixels in, positions out).
     items: [{id, x, y (label point), w, h (label size), value, size (region area on screen),
              span: [region width, height on screen]}]
     view: {w, h, obstacles: [{l, t, r, b}]}
     → {id: {mode: "centre" | "callout" | "key" | "hidden", x, y, edge?, n?}} */
  function place(items, view) {
    var placed = [], out = {}, keyed = [];
    var order = items.slice().sort(function (a, b) { return (b.value - a.value) || (b.size - a.size); });
    var anchors = order.map(function (it) { return box(it.x, it.y, 8, 8); });

    function free(b, strict, self) {
      if (!inside(b, view)) { return false; }
      if (placed.some(function (p) { return hits(b, p, GAP); })) { return false; }
      if (view.obstacles.some(function (o) { return hits(b, o, GAP); })) { return false; }
      // On a first pass a callout leaves other regions' label points free for their own labels.
      return !strict || !anchors.some(function (a, i) { return i !== self && hits(b, a, 0); });
    }

    function leaderFree(ax, ay, b) {
      var e = edgePoint(b, ax, ay);
      return !placed.some(function (p) { return crosses(ax, ay, e.x, e.y, p); }) &&
        !view.obstacles.some(function (o) { return crosses(ax, ay, e.x, e.y, o); });
    }

    // Passes: leave other label points free, then not; a badge's thin leader may at last cross a label.
    function callout(it, self, w, h, rings, passes) {
      var spots = callouts(it.x, it.y, w, h, rings);
      for (var pass = 0; pass < passes; pass++) {
        for (var i = 0; i < spots.length; i++) {
          var b = box(spots[i][0], spots[i][1], w, h);
          if (free(b, pass === 0, self) && (pass === 2 || leaderFree(it.x, it.y, b))) { return b; }
        }
      }
      return null;
    }

    order.forEach(function (it, self) {
      var anchor = { x: it.x, y: it.y };
      if (it.x < 0 || it.y < 0 || it.x > view.w || it.y > view.h) {  // off screen: nothing to label
        out[it.id] = { mode: "hidden" };
        return;
      }
      var fits = it.span[0] >= MIN_REGION_PX && it.span[1] >= 16;
      var centred = box(it.x, it.y, it.w, it.h), b = null, mode = "centre";
      if (fits && free(centred, false)) {
        b = centred;
      } else if (it.value > 0) {
        b = callout(it, self, it.w, it.h, RINGS, 2);
        mode = "callout";
        if (!b && free(centred, false)) { b = centred; mode = "centre"; }
      }
      if (b) {
        placed.push(b);
        out[it.id] = { mode: mode, x: b.x, y: b.y, edge: mode === "callout" ? edgePoint(b, it.x, it.y) : null };
      } else if (it.value > 0) {
        keyed.push(it);
      } else {
        out[it.id] = { mode: "hidden", x: anchor.x, y: anchor.y };
      }
    });
    // The rest get a line in the key and a numbered badge at their label point or next to it
    // (none where even a badge finds no room: the key's line still names the region).
    keyed.forEach(function (it, i) {
      var b = box(it.x, it.y, BADGE, BADGE), edge = null;
      if (!free(b, false)) {
        b = callout(it, -1, BADGE, BADGE, BADGE_RINGS, 3);
        if (b) { edge = edgePoint(b, it.x, it.y); }
      }
      if (b) { placed.push(b); }
      out[it.id] = b ? { mode: "key", n: i + 1, x: b.x, y: b.y, edge: edge } : { mode: "key", n: i + 1, hidden: true };
    });
    return out;
  }

  // --- on a Leaflet map -------------------------------------------------------------------------
  function labelElement(name, valueText) {
    var div = document.createElement("div"), span = document.createElement("span"), b = document.createElement("b");
    div.className = "region-label";
    span.textContent = name;
    b.textContent = valueText;
    div.appendChild(span);
    div.appendChild(b);
    return div;
  }

  var KeyControl = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      var div = L.DomUtil.create("div", "pantau-label-key leaflet-bar");
      var title = L.DomUtil.create("div", "lk-title", div);
      title.textContent = "Keterangan nomor";
      this._list = L.DomUtil.create("ol", "", div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
    setEntries: function (entries) {
      var list = this._list, map = this.options.map;
      var same = entries.map(function (e) { return e.n + "\u0000" + e.code + "\u0000" + e.valueText; }).join("\u0001");
      if (same === this._same) { return; }  // unchanged: no new layout for the page to react to
      this._same = same;
      while (list.firstChild) { list.removeChild(list.firstChild); }
      entries.forEach(function (e) {
        var li = document.createElement("li"), name = document.createElement("span"), value = document.createElement("b");
        li.value = e.n;
        li.setAttribute("data-code", e.code);
        name.textContent = e.name;
        value.textContent = e.valueText;
        li.appendChild(name);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(value);
        li.title = "Perbesar ke wilayah ini (zoom to this region)";
        li.addEventListener("click", function () { map.fitBounds(e.bounds, { maxZoom: 14 }); });
        list.appendChild(li);
      });
    }
  });

  /* Labels of the regions of one map page, in `group` (a layer the user can switch off), in a pane
     of their own that takes no pointer events (the regions below keep hover and click).
     items: [{code, name, value, valueText, latlng (label point), bounds (the region's)}] */
  function Labels(map, group, items) {
    this.map = map;
    this.group = group;
    if (!map.getPane("regionLabels")) {
      var pane = map.createPane("regionLabels");
      pane.style.zIndex = 640;
      pane.style.pointerEvents = "none";
    }
    this.renderer = L.svg({ pane: "regionLabels", padding: 0.1 });
    this.leaders = L.layerGroup().addTo(group);
    this.key = null;
    this.items = items.map(function (it) {
      var el = labelElement(it.name, it.valueText);
      var icon = L.divIcon({ html: el, className: "region-label-icon", iconSize: [0, 0] });
      var marker = L.marker(it.latlng, { icon: icon, interactive: false, keyboard: false, pane: "regionLabels" });
      marker.addTo(group);
      return Object.assign({ marker: marker, el: el }, it);
    });
    this.measure();
  }

  Labels.prototype.measure = function () {
    this.items.forEach(function (it) {
      var holder = it.marker.getElement();
      if (!holder) { return; }
      holder.style.display = "";
      var r = it.el.getBoundingClientRect();
      if (r.width) { it.w = Math.ceil(r.width); it.h = Math.ceil(r.height); }
    });
  };

  Labels.prototype.obstacles = function () {
    var c = this.map.getContainer(), cr = c.getBoundingClientRect();
    return Array.prototype.map.call(c.querySelectorAll(".leaflet-control"), function (el) {
      var r = el.getBoundingClientRect();
      return { l: r.left - cr.left, r: r.right - cr.left, t: r.top - cr.top, b: r.bottom - cr.top, w: r.width };
    }).filter(function (o) { return o.w > 0; });
  };

  Labels.prototype.update = function () {
    var map = this.map, self = this;
    if (!map.hasLayer(this.group)) { this.showKey([]); return; }
    if (this.items.some(function (it) { return !it.w; })) { this.measure(); }
    var size = map.getSize(), input = [];
    this.items.forEach(function (it) {
      if (!it.w) { return; }
      var p = map.latLngToContainerPoint(it.latlng);
      var nw = map.latLngToContainerPoint(it.bounds.getNorthWest()), se = map.latLngToContainerPoint(it.bounds.getSouthEast());
      var sw = Math.abs(se.x - nw.x), sh = Math.abs(se.y - nw.y);
      input.push({ id: it.code, x: p.x, y: p.y, w: it.w, h: it.h, value: it.value, size: sw * sh, span: [sw, sh] });
    });
    // The key itself is a control the labels must avoid: place, show the key, and place again
    // once when the key changed the room left.
    var result, keyed = "";
    for (var round = 0; round < 3; round++) {
      result = place(input, { w: size.x, h: size.y, obstacles: this.obstacles() });
      var entries = this.items.filter(function (it) { return result[it.code] && result[it.code].mode === "key"; })
        .map(function (it) {
          return { n: result[it.code].n, code: it.code, name: it.name, valueText: it.valueText, bounds: it.bounds };
        })
        .sort(function (a, b) { return a.n - b.n; });
      var now = entries.map(function (e) { return e.code; }).join();
      this.showKey(entries);
      if (now === keyed) { break; }
      keyed = now;
    }
    this.leaders.clearLayers();
    var shown = 0;
    this.items.forEach(function (it) {
      var holder = it.marker.getElement(), res = result[it.code];
      if (!holder) { return; }
      holder.setAttribute("data-code", it.code);  // a new element each time the layer is switched on
      if (!res || res.mode === "hidden" || res.hidden) {
        holder.style.display = "none";
        holder.setAttribute("data-mode", res ? res.mode : "hidden");
        it.marker.setLatLng(it.latlng);
        return;
      }
      holder.style.display = "";
      holder.setAttribute("data-mode", res.mode);
      it.el.classList.toggle("region-label--callout", res.mode === "callout");
      it.el.classList.toggle("region-label--badge", res.mode === "key");
      if (res.mode === "key") {
        it.el.firstChild.textContent = String(res.n);
        it.el.lastChild.textContent = "";
      } else {
        it.el.firstChild.textContent = it.name;
        it.el.lastChild.textContent = it.valueText;
        shown += 1;
      }
      it.marker.setLatLng(map.containerPointToLatLng([res.x, res.y]));
      if (res.edge) {
        L.polyline([it.latlng, map.containerPointToLatLng([res.edge.x, res.edge.y])], {
          renderer: self.renderer, interactive: false, color: "#333", weight: 1, opacity: 0.9
        }).addTo(self.leaders);
        L.circleMarker(it.latlng, { renderer: self.renderer, interactive: false, radius: 2.5, color: "#333",
                                    weight: 1, fillColor: "#fff", fillOpacity: 1 }).addTo(self.leaders);
      }
    });
    document.body.dataset.labelsShown = String(shown);
    document.body.dataset.labelsInView = String(input.filter(function (it) {
      return it.x >= 0 && it.y >= 0 && it.x <= size.x && it.y <= size.y;
    }).length);
    document.body.dataset.labelsKeyed = String(Object.keys(result).filter(function (k) {
      return result[k].mode === "key";
    }).length);
  };

  Labels.prototype.showKey = function (entries) {
    if (!entries.length) {
      if (this.key) { this.key.remove(); this.key = null; }
      return;
    }
    if (!this.key) { this.key = new KeyControl({ map: this.map }).addTo(this.map); }
    this.key.setEntries(entries);
  };

  // Placement follows the view, and the room the map's controls leave (legend or layer list
  // opened or folded, window resized).
  function attach(map, group, items) {
    var labels = new Labels(map, group, items), pending = false;
    function later() {
      if (pending) { return; }
      pending = true;
      L.Util.requestAnimFrame(function () { pending = false; labels.update(); });
    }
    map.on("moveend resize overlayadd overlayremove", later);
    if (window.ResizeObserver) {
      var watch = new ResizeObserver(later);
      Array.prototype.forEach.call(map.getContainer().querySelectorAll(".leaflet-control-container > div"),
                                   function (corner) { watch.observe(corner); });
    }
    labels.update();
    return labels;
  }

  window.PantauLabels = { place: place, attach: attach };
})();
