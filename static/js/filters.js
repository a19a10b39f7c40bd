/* Page filters: the two date inputs become the API's `datetime=start/end`, nationality names become
   their codes, and empty fields are left out, so the URL holds exactly the chosen view and can be
   shared. On a phone the form is folded behind the "Filter" button. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }

  var toggle = document.getElementById("filter-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = form.classList.toggle("show");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      window.dispatchEvent(new Event("resize"));  // the map below changes height: Leaflet re-measures
    });
  }

  // Nationality: several names or codes, comma-separated. The suggestions are the countries'
  // Indonesian names; after a comma they continue the list typed so far.
  var nat = document.getElementById("f-nat");
  var list = document.getElementById("nationality-names");
  var countries = [];  // [name, code]
  var byName = {};
  if (list) {
    Array.prototype.forEach.call(list.options, function (o) {
      countries.push([o.value, o.getAttribute("data-code")]);
      byName[o.value.toLowerCase()] = o.getAttribute("data-code");
    });
  }

  function items(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(function (s) { return s; });
  }

  if (nat && list) {
    nat.addEventListener("input", function () {
      var cut = nat.value.lastIndexOf(",");
      var head = cut < 0 ? "" : nat.value.slice(0, cut + 1) + " ";
      var chosen = items(nat.value.slice(0, cut + 1)).map(function (s) { return s.toLowerCase(); });
      var options = document.createDocumentFragment();
      countries.forEach(function (c) {
        if (chosen.indexOf(c[0].toLowerCase()) >= 0) { return; }
        var o = document.createElement("option");
        o.value = head + c[0];
        o.textContent = c[1];
        options.appendChild(o);
      });
      list.replaceChildren(options);
    });
  }

  form.addEventListener("submit", function () {
    var start = document.getElementById("f-start"), end = document.getElementById("f-end");
    var dt = document.getElementById("f-datetime");
    if (start && end && dt) {
      dt.value = (start.value || end.value) ? (start.value || "..") + "/" + (end.value || "..") : "";
    }
    if (nat) {  // known names as codes; anything else goes as typed and the server explains it
      nat.value = items(nat.value).map(function (s) { return byName[s.toLowerCase()] || s; }).join(",");
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !el.value) { el.disabled = true; }
      if (el.name === "measure" && el.value === "foreign_workers") { el.disabled = true; }
    });
  });
})();
