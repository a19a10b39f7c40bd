/* Client-side sorting of tables with class "sortable": click a header with data-sort="num|text". */
(function () {
  "use strict";
  function key(cell, numeric) {
    var text = cell.textContent.trim();
    return numeric ? Number(text.replace(/\./g, "").replace(",", ".")) || 0 : text.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("th[data-sort]");
    headers.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.dataset.sort === "num";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
