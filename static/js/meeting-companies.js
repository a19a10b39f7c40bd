// "Tambah rekomendasi": pick companies by name (GET /api/search, the user's own scope); each pick
// becomes a chip holding a hidden company_ids input. Data reaches the page only as textContent.
(function () {
  "use strict";
  var input = document.getElementById("company-search");
  var results = document.getElementById("company-results");
  var picked = document.getElementById("company-picked");
  if (!input || !results || !picked) return;
  var timer = null;
  var seq = 0;

  function chosen() {
    return Array.prototype.map.call(picked.querySelectorAll("input[name=company_ids]"), function (el) { return el.value; });
  }

  function add(company) {
    if (chosen().indexOf(String(company.id)) >= 0) return;
    var chip = document.createElement("span");
    chip.className = "badge text-bg-light border company-chip";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "company_ids";
    hidden.value = String(company.id);
    chip.appendChild(hidden);
    chip.appendChild(document.createTextNode(company.name + " "));
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close btn-close-sm ms-1";
    remove.setAttribute("aria-label", "Hapus " + company.name);
    remove.setAttribute("data-remove", "");
    chip.appendChild(remove);
    picked.appendChild(chip);
  }

  picked.addEventListener("click", function (ev) {
    var target = ev.target;
    if (target && target.hasAttribute("data-remove")) target.closest(".company-chip").remove();
  });

  function show(companies) {
    results.replaceChildren();
    companies.forEach(function (c) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action py-1";
      item.setAttribute("role", "option");
      item.textContent = c.name + (c.district_name ? " · " + c.district_name : "");
      item.addEventListener("click", function () {
        add(c);
        results.replaceChildren();
        input.value = "";
        input.focus();
      });
      results.appendChild(item);
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { results.replaceChildren(); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch("/api/search?limit=8&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { companies: [] }; })
        .then(function (body) { if (mine === seq) show(body.companies || []); })
        .catch(function () { results.replaceChildren(); });
    }, 250);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); var first = results.querySelector("button"); if (first) first.click(); }
  });
})();
