// /admin/users form: ticking a regency chooses "Hanya kabupaten/kota yang dipilih"; choosing "Seluruh
// provinsi" clears the ticks, so the form never shows regencies that would be ignored.
(function () {
  'use strict';
  const form = document.getElementById('user-form');
  const province = document.getElementById('scope-province');
  const regencies = document.getElementById('scope-regencies');
  if (!form || !province || !regencies || province.disabled) return;
  const boxes = form.querySelectorAll('#regency-choices input[type=checkbox]');
  boxes.forEach(function (box) {
    box.addEventListener('change', function () { if (box.checked) regencies.checked = true; });
  });
  province.addEventListener('change', function () {
    if (province.checked) boxes.forEach(function (box) { box.checked = false; });
  });
})();
