// /imports: upload with a progress bar, then an honest "being checked" state until the server's
// answer (the check runs the whole import and rolls it back); the preview page's buttons post the
// same way. Server texts are shown with textContent only.
(function () {
  "use strict";

  function csrf() {
    var m = /(?:^|;\s*)pantau_csrf=([^;]+)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function post(form, onUpload, onSent) {
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
      xhr.send(new FormData(form));
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
      var started = Date.now(), timer = null;
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
        var tick = function () {
          var s = Math.round((Date.now() - started) / 1000);
          status.textContent = "Berkas terunggah; sedang diperiksa (semua baris divalidasi dan dicoba tanpa disimpan)… " + s + " detik";
        };
        tick();
        timer = setInterval(tick, 1000);
      }).then(function (answer) {
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
