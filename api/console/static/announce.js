// Live progress of an announcement: polls its JSON while it is scheduled or being sent (CSP-safe, no CDN).
(function () {
  "use strict";
  var box = document.getElementById("an-progress");
  if (!box) { return; }
  var names = {draft: "bản nháp", scheduled: "đã hẹn giờ", sending: "đang gửi", done: "đã gửi xong", cancelled: "đã hủy"};
  var bar = document.getElementById("an-bar");
  var badge = document.getElementById("an-status");
  function show(data) {
    var cells = box.querySelectorAll("dd[data-key]");
    for (var i = 0; i < cells.length; i++) {
      var key = cells[i].getAttribute("data-key");
      if (data.progress[key] !== undefined) { cells[i].textContent = String(data.progress[key]); }
    }
    if (bar) { bar.max = data.progress.total || 1; bar.value = data.progress.sent; }
    if (badge) { badge.textContent = names[data.status] || data.status; }
    box.setAttribute("data-status", data.status);
  }
  function tick() {
    var status = box.getAttribute("data-status");
    if (status !== "scheduled" && status !== "sending") { return; }
    fetch(box.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(tick, 1000); });
  }
  window.setTimeout(tick, 1000);
}());
