// Trợ lý 06 console: small progressive enhancements; every page works without this file.
"use strict";
(function () {
  const main = document.getElementById("main");
  const csrf = main ? main.dataset.csrf : undefined;

  // Ask before a destructive form is sent (forms carry data-confirm="question").
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Live preview of an answer exactly as the chat shows it (forms with data-preview="URL").
  document.querySelectorAll("form[data-preview]").forEach(function (form) {
    const target = document.getElementById(form.dataset.previewTarget || "preview");
    if (!target) return;
    let timer = 0;
    const refresh = function () {
      const body = new URLSearchParams(new FormData(form));
      fetch(form.dataset.preview, { method: "POST", body: body, headers: csrf ? { "X-CSRF-Token": csrf } : {} })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { /* the last good preview stays */ });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
    refresh();
  });
})();
