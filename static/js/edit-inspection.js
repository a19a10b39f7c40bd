// New inspection form (api/templates/inspection_new.html): the point from the browser's geolocation
// ("Gunakan lokasi saya"), or a tap on the small map; the company's point until then.
(function () {
  "use strict";
  var lat = document.getElementById("f-lat");
  var lon = document.getElementById("f-lon");
  var status = document.getElementById("location-status");
  var button = document.getElementById("use-location");
  var box = document.getElementById("point-map");
  var map = null;
  var marker = null;

  function setPoint(la, lo, note) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (note) { status.textContent = note; }
    if (map) {
      marker.setLatLng([la, lo]);
      map.panTo([la, lo]);
    }
    document.body.dataset.pointSet = "1";
  }

  if (box && window.L) {
    var start = [parseFloat(lat.value) || parseFloat(box.dataset.companyLat), parseFloat(lon.value) || parseFloat(box.dataset.companyLon)];
    map = L.map(box, { attributionControl: true }).setView(start, 14);
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution || "" }).addTo(map);
    }
    marker = L.marker(start).addTo(map);
    map.on("click", function (e) {
      setPoint(e.latlng.lat, e.latlng.lng, "Titik dipilih di peta.");
    });
  }

  // Photos: the server checks them again; this only saves a phone from sending what would be refused.
  var input = document.getElementById("f-photos");
  var check = document.getElementById("photos-check");
  var save = document.getElementById("save");
  if (input && check) {
    input.addEventListener("change", function () {
      var maxOne = parseFloat(input.dataset.maxMb) * 1048576;
      var maxAll = parseFloat(input.dataset.maxTotalMb) * 1048576;
      var maxCount = parseInt(input.dataset.maxCount, 10);
      var problems = [];
      var total = 0;
      Array.prototype.forEach.call(input.files, function (file, i) {
        total += file.size;
        if (file.size > maxOne) {
          problems.push("foto ke-" + (i + 1) + " lebih dari " + input.dataset.maxMb + " MB");
        }
      });
      if (input.files.length > maxCount) { problems.push("paling banyak " + maxCount + " foto"); }
      if (total > maxAll) { problems.push("semua foto bersama lebih dari " + input.dataset.maxTotalMb + " MB"); }
      check.textContent = problems.join("; ");
      check.hidden = problems.length === 0;
      input.classList.toggle("is-invalid", problems.length > 0);
      save.disabled = problems.length > 0;
    });
  }

  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Mencari lokasi…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        var acc = Math.round(pos.coords.accuracy || 0);
        setPoint(pos.coords.latitude, pos.coords.longitude, "Lokasi Anda dipakai (akurasi ± " + acc + " m).");
      }, function () {
        status.textContent = "Lokasi tidak tersedia atau tidak diizinkan; titik perusahaan tetap dipakai, atau ketuk peta.";
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
}());
