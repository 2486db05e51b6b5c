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

  // Inbox: the entry search box fills its group's picker as one types (forms with class
  // "entry-search"; without this file the form is a plain GET search that reloads the page).
  document.querySelectorAll("form.entry-search").forEach(function (form) {
    const input = form.querySelector("input[data-target]");
    const select = input ? document.getElementById(input.dataset.target) : null;
    if (!input || !select) return;
    let timer = 0;
    let asked = 0;
    const search = function () {
      const query = input.value.trim();
      if (!query) return;
      const ticket = ++asked;
      fetch("/api/v1/admin/unanswered/entries?q=" + encodeURIComponent(query), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          if (ticket !== asked || !body.entries.length) return; // a newer search, or nothing: keep the list
          select.replaceChildren.apply(select, body.entries.map(function (e) {
            const option = document.createElement("option");
            option.value = e.id;
            option.textContent = e.title + " — " + e.id;
            return option;
          }));
        })
        .catch(function () { /* the plain search form still works */ });
    };
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); search(); });
  });

  // Share page: «Sao chép» copies a member's link (buttons with data-copy stay hidden without this
  // file; the link text can still be selected by hand). Where the clipboard is not allowed, the
  // link is selected so a long press copies it.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const label = button.textContent;
    button.hidden = false;
    const say = function (text) {
      button.textContent = text;
      setTimeout(function () { button.textContent = label; }, 2500);
    };
    const select = function () {
      const link = button.parentElement ? button.parentElement.querySelector("a") : null;
      if (link) window.getSelection().selectAllChildren(link);
      say("Đã chọn: nhấn giữ để sao chép");
    };
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.dataset.copy).then(function () { say("Đã sao chép"); }, select);
      } else {
        select();
      }
    });
  });
})();
