// The support point form's commune picker: search the post-2025 communes and wards as you type
// (GET /admin/support-points/communes?q=…) and fill the list. Served by the app (CSP: script-src 'self').
(function () {
  "use strict";
  const search = document.getElementById("commune-search");
  const pick = document.getElementById("commune-pick");
  const status = document.getElementById("commune-status");
  if (!search || !pick) return;
  let timer = 0;
  let asked = 0;

  function fill(found) {
    const chosen = pick.value;
    const keep = Array.from(pick.options).find(function (o) { return o.selected && o.value; });
    pick.replaceChildren();
    if (keep && !found.some(function (c) { return String(c.code) === chosen; })) pick.append(keep);
    found.forEach(function (c) {
      const option = document.createElement("option");
      option.value = String(c.code);
      option.textContent = c.label;
      pick.append(option);
    });
    if (!keep && found.length) pick.selectedIndex = 0;
    if (status) status.textContent = found.length ? "Tìm thấy " + found.length + " nơi; chọn trong danh sách." : "Không tìm thấy xã/phường nào.";
  }

  search.addEventListener("input", function () {
    window.clearTimeout(timer);
    const q = search.value.trim();
    if (q.length < 2) return;
    timer = window.setTimeout(function () {
      const mine = ++asked;
      fetch("/admin/support-points/communes?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { communes: [] }; })
        .then(function (body) { if (mine === asked) fill(body.communes || []); })
        .catch(function () { if (status) status.textContent = "Không tải được danh sách; thử lại."; });
    }, 200);
  });
})();
