/* /exports: grey out what the chosen kind cannot use (the server refuses it anyway: 400), and list
   only the chosen regency's districts. Disabled fields are not submitted. */
(function () {
  "use strict";
  var kind = document.getElementById("e-kind");
  if (!kind) { return; }
  var form = document.getElementById("filters");
  var regency = document.getElementById("e-regency");
  var district = document.getElementById("e-district");
  var personal = document.getElementById("e-personal");

  function applyKind() {
    var option = kind.options[kind.selectedIndex];
    var off = (option.getAttribute("data-off") || "").split(" ").filter(function (s) { return s; });
    ["sector", "permit_status", "nationality"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) {
        field.disabled = off.indexOf(name) >= 0;
        field.title = field.disabled ? "Tidak berlaku untuk jenis data ini" : "";
      }
    });
    if (personal) { personal.disabled = option.getAttribute("data-personal") !== "1"; }
  }

  function applyRegency() {
    if (!regency || !district) { return; }
    var chosen = regency.value;
    Array.prototype.forEach.call(district.querySelectorAll("optgroup"), function (group) {
      var show = !chosen || group.querySelector("option[data-regency='" + chosen + "']") !== null;
      group.hidden = !show;
      group.disabled = !show;
    });
    var current = district.options[district.selectedIndex];
    if (current && current.getAttribute("data-regency") && chosen && current.getAttribute("data-regency") !== chosen) {
      district.value = "";
    }
  }

  // filters.js disables the empty fields so they stay out of the URL; a download leaves the page
  // where it is, so they are enabled again once the request is made (the form data is taken at once).
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
      applyKind();
    }, 0);
  });
  kind.addEventListener("change", applyKind);
  if (regency) { regency.addEventListener("change", applyRegency); }
  applyKind();
  applyRegency();
})();
