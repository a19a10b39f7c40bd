/* "Unduh laporan" (api/templates/_report_dialog.html): choose quarter, region and format; the page's
   filter comes from its URL (what the map shows). The report is built as a background job
   (POST /api/reports/jobs), its progress polled until the file can be downloaded. Texts from the
   server go into the page as text nodes only. Without <dialog> support the link downloads the PDF. */
(function () {
  "use strict";
  var link = document.getElementById("report-link");
  var dialog = document.getElementById("report-dialog");
  if (!link || !dialog || typeof dialog.showModal !== "function") { return; }

  var form = document.getElementById("report-form");
  var period = document.getElementById("report-period");
  var region = document.getElementById("report-region");
  var personalRow = document.getElementById("report-personal-row");
  var personal = document.getElementById("report-personal");
  var filterText = document.getElementById("report-filter");
  var box = document.getElementById("report-progress-box");
  var bar = document.getElementById("report-progress");
  var step = document.getElementById("report-step");
  var error = document.getElementById("report-error");
  var download = document.getElementById("report-download");
  var start = document.getElementById("report-start");
  var FILTERS = ["sector", "nationality", "permit_status", "datetime"];
  var NAMES = { sector: "sektor", nationality: "kewarganegaraan", permit_status: "status RPTKA",
                datetime: "RPTKA berlaku hingga" };
  var ROMAN = ["I", "II", "III", "IV"];
  var POLL_MS = 1000;
  var timer = null;
  var running = false;

  // The current quarter (from the server) and the seven before it, newest first.
  function quarters(current) {
    var m = /^(\d{4})-Q([1-4])$/.exec(current || "");
    if (!m) { return []; }
    var y = +m[1], q = +m[2], out = [];
    for (var i = 0; i < 8; i++) {
      out.push([y + "-Q" + q, "Triwulan " + ROMAN[q - 1] + " " + y + (i === 0 ? " (berjalan)" : "")]);
      if (--q === 0) { q = 4; y -= 1; }
    }
    return out;
  }

  // The filter the page shows: its URL's parameters (the form may hold unapplied edits).
  function pageFilter() {
    var params = new URLSearchParams(window.location.search), out = {};
    FILTERS.forEach(function (k) { var v = params.get(k); if (v) { out[k] = v; } });
    return out;
  }

  function describe(flt) {
    var parts = [];
    Object.keys(flt).forEach(function (k) {
      var text = flt[k];
      var select = k === "sector" ? document.getElementById("f-sector") : null;
      if (select) {
        var chosen = Array.prototype.filter.call(select.options, function (o) { return o.value === text; })[0];
        if (chosen) { text = chosen.textContent; }
      }
      parts.push(NAMES[k] + ": " + text);
    });
    return parts.length ? "Mengikuti filter peta: " + parts.join("; ") : "Tanpa filter: semua data wilayah.";
  }

  function chosenFormat() {
    var f = form.querySelector("input[name=format]:checked");
    return f ? f.value : "pdf";
  }

  function csrf() {
    var m = /(?:^|;\s*)pantau_csrf=([^;]+)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function show(el, on) { if (el) { el.hidden = !on; } }

  function fail(text) {
    running = false;
    start.disabled = false;
    show(box, false);
    show(download, false);
    error.textContent = text;
    show(error, true);
    document.body.setAttribute("data-report-state", "failed");
  }

  function reset() {
    if (timer) { clearTimeout(timer); timer = null; }
    running = false;
    start.disabled = false;
    show(box, false);
    show(error, false);
    show(download, false);
    bar.value = 0;
    step.textContent = "";
    document.body.removeAttribute("data-report-state");
  }

  function answerText(response, body) {
    if (body && typeof body.description === "string") { return body.description; }
    if (body && typeof body.detail === "string") { return body.detail; }
    return "Permintaan gagal (HTTP " + response.status + ").";
  }

  function poll(url) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return [r, b]; }); })
      .then(function (rb) {
        var r = rb[0], job = rb[1];
        if (!running) { return; }
        if (!r.ok) { fail(answerText(r, job)); return; }
        bar.value = job.progress;
        step.textContent = job.status === "queued" ? "menunggu giliran (queued)" : job.step;
        document.body.setAttribute("data-report-state", job.status);
        if (job.status === "done") {
          running = false;
          start.disabled = false;
          download.href = job.download_url;
          download.setAttribute("download", job.filename || "");
          download.textContent = "Unduh " + (job.filename || "berkas");
          step.textContent = "Selesai: berkas siap diunduh (ready).";
          show(download, true);
          download.focus();
        } else if (job.status === "failed") {
          fail(job.error || "Laporan gagal dibuat.");
        } else {
          timer = setTimeout(function () { poll(url); }, POLL_MS);
        }
      })
      .catch(function () { fail("Koneksi ke server terputus (connection lost)."); });
  }

  function body() {
    var out = pageFilter();
    out.period = period.value;
    out.format = chosenFormat();
    var parts = region.value.split(":"), level = parts[0], code = parts[1] || "";
    if (level === "regency") { out.regency = code; }
    if (level === "district") { out.regency = code.slice(0, 5); out.district_code = code; }
    if (personal && out.format === "xlsx" && personal.checked) { out.personal = true; }
    return out;
  }

  link.addEventListener("click", function (ev) {
    ev.preventDefault();
    if (!period.options.length) {
      quarters(link.getAttribute("data-quarter")).forEach(function (q) {
        var o = document.createElement("option");
        o.value = q[0];
        o.textContent = q[1];
        period.appendChild(o);
      });
    }
    filterText.textContent = describe(pageFilter());
    if (!running) { reset(); }
    dialog.showModal();
  });

  form.addEventListener("change", function () {
    show(personalRow, chosenFormat() === "xlsx");
    if (!running) { reset(); }
  });

  document.getElementById("report-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () { reset(); });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (running) { return; }
    reset();
    running = true;
    start.disabled = true;
    show(box, true);
    step.textContent = "mengirim permintaan (sending)";
    document.body.setAttribute("data-report-state", "sending");
    fetch("/api/reports/jobs", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body())
    })
      .then(function (r) { return r.json().then(function (b) { return [r, b]; }); })
      .then(function (rb) {
        if (rb[0].status !== 202) { fail(answerText(rb[0], rb[1])); return; }
        poll(rb[1].status_url);
      })
      .catch(function () { fail("Koneksi ke server terputus (connection lost)."); });
  });
})();
