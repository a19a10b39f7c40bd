/* Page filters: the two date inputs become the API's `datetime=start/end`, and empty fields are
   left out, so the URL holds exactly the chosen view and can be shared. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var start = document.getElementById("f-start"), end = document.getElementById("f-end");
    var dt = document.getElementById("f-datetime");
    if (start && end && dt) {
      dt.value = (start.value || end.value) ? (start.value || "..") + "/" + (end.value || "..") : "";
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !el.value) { el.disabled = true; }
      if (el.name === "measure" && el.value === "foreign_workers") { el.disabled = true; }
    });
  });
})();
