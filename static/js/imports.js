// /imports: upload with a progress bar, then an honest "being checked" state until the server's
// answer (the check runs the whole import and rolls it back); the preview page's buttons post the
// same way. Server texts are shown with textContent only.
(function () {
  "use strict";

  function csrf() {
    var m = /(?:^|;\s*)pantau_csrf=([^;]+)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // The import process's steps (GET /imports/progress/{id}, written by the child as it goes).
  var KINDS = { companies: "Perusahaan", workers: "TKA", inspections: "Pemeriksaan", foreign_nationals: "Orang asing",
                lodgings: "Tamu penginapan", activities: "Kegiatan" };
  var STAGES = { read: "membaca berkas", validate: "memvalidasi {n} baris", locate: "memeriksa lokasi dan wilayah {n} baris",
                 write: "mencoba menyimpan {n} baris valid (lalu dibatalkan)" };

  function describe(step) {
    if (!step || !STAGES[step.stage]) return "";
    var n = Number(step.rows || 0).toLocaleString("id-ID");
    return (KINDS[step.kind] || step.kind) + ": " + STAGES[step.stage].replace("{n}", n);
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function post(form, onUpload, onSent, extra) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable && onUpload) onUpload(e.loaded / e.total); });
      xhr.upload.addEventListener("load", function () { if (onSent) onSent(); });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        resolve({ status: xhr.status, body: body });
      });
      xhr.addEventListener("error", function () { resolve({ status: 0, body: null }); });
      var data = new FormData(form);
      if (extra) Object.keys(extra).forEach(function (k) { data.append(k, extra[k]); });
      xhr.send(data);
    });
  }

  function showError(box, answer) {
    var text = answer.body && (answer.body.error || answer.body.detail);
    if (typeof text !== "string") {
      text = answer.status === 0 ? "Koneksi terputus. Coba lagi." : "Permintaan gagal (" + answer.status + ").";
    }
    box.textContent = text;
    box.hidden = false;
  }

  // The upload form.
  var form = document.getElementById("import-form");
  if (form) {
    var kind = document.getElementById("kind");
    var workersBox = document.getElementById("workers-box");
    var workersFile = document.getElementById("workers_file");
    var syncKind = function () {
      var companies = kind.value === "companies";
      workersBox.hidden = !companies;
      if (!companies) workersFile.value = "";
    };
    kind.addEventListener("change", syncKind);
    syncKind();

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = document.getElementById("check-button");
      var box = document.getElementById("import-progress");
      var bar = document.getElementById("import-progress-bar");
      var status = document.getElementById("import-status");
      var error = document.getElementById("import-error");
      var started = Date.now(), timer = null, step = "", progressId = randomId();
      error.hidden = true;
      button.disabled = true;
      box.hidden = false;
      bar.style.width = "0%";
      status.textContent = "Mengunggah berkas…";
      post(form, function (done) {
        bar.style.width = Math.round(done * 100) + "%";
        status.textContent = "Mengunggah berkas… " + Math.round(done * 100) + "%";
      }, function () {
        bar.style.width = "100%";
        var polls = 0;
        var tick = function () {
          var s = Math.round((Date.now() - started) / 1000);
          status.textContent = "Berkas terunggah; sedang diperiksa" + (step ? " — " + step : "") + "… " + s + " detik";
          if (polls++ % 2 === 0) {
            fetch("/imports/progress/" + progressId, { headers: { "Accept": "application/json" }, cache: "no-store" })
              .then(function (r) { return r.ok ? r.json() : {}; })
              .then(function (body) { var d = describe(body); if (d) step = d; })
              .catch(function () { /* progress is a courtesy */ });
          }
        };
        tick();
        timer = setInterval(tick, 1000);
      }, { progress_id: progressId }).then(function (answer) {
        if (timer) clearInterval(timer);
        if (answer.status === 200 && answer.body && answer.body.next) {
          status.textContent = "Selesai diperiksa. Membuka pratinjau…";
          window.location.assign(answer.body.next);
          return;
        }
        box.hidden = true;
        button.disabled = false;
        showError(error, answer);
      });
    });
  }

  // The preview's decisions (commit, check again).
  Array.prototype.forEach.call(document.querySelectorAll("form.import-decision"), function (f) {
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var submitter = e.submitter;
      var error = document.getElementById("import-error");
      var status = document.getElementById("import-status");
      var buttons = document.querySelectorAll("form.import-decision button");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      error.hidden = true;
      status.hidden = false;
      status.textContent = submitter && submitter.dataset.busy ? submitter.dataset.busy : "Sedang diproses…";
      post(f).then(function (answer) {
        if (answer.status === 200 && answer.body && answer.body.next) {
          window.location.assign(answer.body.next);
          return;
        }
        status.hidden = true;
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = b.dataset.disabled === "1"; });
        showError(error, answer);
      });
    });
  });
})();
