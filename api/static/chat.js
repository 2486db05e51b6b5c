// Trợ lý 06 web chat: sends questions and button payloads to POST /api/v1/chat, shows the replies.

// The support-point search's "send my location" button, and the payload that carries a location
// (bot.core.support: "sp-g-<lat>-<lon>", "." written "_", a leading "n" for a minus sign).
const LOCATION_PAYLOAD = "sp-loc";
function geoPayload(lat, lon) {
  const enc = (v) => (v < 0 ? "n" : "") + Math.abs(v).toFixed(4).replace(".", "_");
  return `sp-g-${enc(lat)}-${enc(lon)}`;
}
// Bot and user text is always set with textContent (never as HTML).
"use strict";

(() => {
  const API_URL = "/api/v1/chat";
  const PAYLOAD_RE = /^[A-Za-z0-9_-]{1,64}$/;
  const USER_KEY = "troly06.user_id";
  const USER_RE = /^web-[A-Za-z0-9_-]{8,64}$/;
  const TIMEOUT_MS = 30000;

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const statusLine = document.getElementById("status");

  const userId = loadUserId();
  let busy = false;
  let blockedUntil = 0; // after a 429, sending waits until this time (ms)
  let anchor = null; // the first message of the latest exchange, kept in view

  function loadUserId() {
    let id = null;
    try { id = localStorage.getItem(USER_KEY); } catch (_) { /* storage disabled: one id per visit */ }
    if (!id || !USER_RE.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      id = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      try { localStorage.setItem(USER_KEY, id); } catch (_) { /* see above */ }
    }
    return id;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function safeImageUrl(url) {
    try {
      const u = new URL(url, location.href);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function botBubble(reply) {
    const bubble = el("div", "msg bot");
    if (reply.text) bubble.append(el("p", "text", reply.text));
    for (const image of reply.images || []) {
      const src = safeImageUrl(image.url);
      if (!src) continue;
      const figure = el("figure");
      const img = el("img");
      img.src = src;
      img.alt = image.alt || "";
      img.addEventListener("load", () => reveal(anchor)); // the picture made the reply taller
      figure.append(img);
      if (image.alt) {
        const caption = el("figcaption", "", image.alt);
        caption.setAttribute("aria-hidden", "true"); // the alt text already names the image
        figure.append(caption);
      }
      bubble.append(figure);
    }
    const buttons = reply.buttons || [];
    if (buttons.length) {
      const chips = el("div", "chips");
      chips.setAttribute("role", "group");
      chips.setAttribute("aria-label", "Chọn một mục");
      for (const b of buttons) {
        const geo = b.payload === LOCATION_PAYLOAD && "geolocation" in navigator;
        const chip = el("button", "chip", geo ? "📍 Dùng vị trí của tôi" : b.label);
        chip.type = "button";
        chip.dataset.payload = b.payload;
        chips.append(chip);
      }
      bubble.append(chips);
    }
    return bubble;
  }

  // Scroll to the newest message, but never past the start of the first new one:
  // the first line of an answer matters most. (The log is the bubbles' offsetParent.)
  function reveal(first) {
    anchor = first;
    log.scrollTop = Math.min(log.scrollHeight - log.clientHeight, first.offsetTop - 8);
  }

  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = false;
  }

  function clearStatus() {
    statusLine.hidden = true;
    statusLine.textContent = "";
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value || Date.now() < blockedUntil;
    for (const chip of document.querySelectorAll("[data-payload]")) chip.disabled = sendButton.disabled;
  }

  function retryAfterSeconds(response) {
    const header = response.headers.get("Retry-After") || "";
    let seconds = /^\d+$/.test(header) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
    if (!Number.isFinite(seconds) || seconds < 1) seconds = 5;
    return Math.min(Math.ceil(seconds), 3600);
  }

  // Send one message; echo is the user's bubble text (none for the automatic first message).
  // Resolves to true when the bot answered.
  async function send(message, echo) {
    if (busy || Date.now() < blockedUntil) return false;
    clearStatus();
    setBusy(true);
    const mine = echo ? el("div", "msg user", echo) : null;
    const typing = el("div", "msg bot typing", "Đang trả lời…");
    if (mine) log.append(mine);
    log.append(typing);
    reveal(mine || typing);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let problem = "Máy chủ đang bận. Vui lòng thử lại sau ít phút.";
    try {
      const response = await fetch(API_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: userId, ...message }),
        signal: abort.signal,
      });
      if (response.status === 429) {
        const seconds = retryAfterSeconds(response);
        blockedUntil = Date.now() + seconds * 1000;
        setTimeout(() => { blockedUntil = 0; clearStatus(); setBusy(busy); }, seconds * 1000);
        problem = `Bạn gửi nhanh quá, vui lòng chờ ${seconds} giây rồi gửi lại.`;
      } else if (response.ok) {
        const data = await response.json();
        if (response.headers.get("X-Handoff")) startPolling();
        if (Array.isArray(data.replies)) {
          const bubbles = data.replies.map(botBubble);
          typing.replaceWith(...bubbles);
          if (mine || bubbles.length) reveal(mine || bubbles[0]);
          return true;
        }
      }
    } catch (error) {
      // fetch rejects with a TypeError when the network is down.
      if (error instanceof TypeError) problem = "Không kết nối được. Vui lòng kiểm tra mạng rồi bấm «Gửi» lại.";
    } finally {
      clearTimeout(timer);
      setBusy(false);
    }
    typing.remove();
    if (mine) mine.remove(); // the typed text stays in the box, ready to send again
    showStatus(problem);
    return false;
  }

  // A person took over (header X-Handoff): fetch their replies every few seconds until it is closed.
  const POLL_MS = 5000;
  const AFTER_KEY = "troly06.handoff_after";
  let polling = false;

  function startPolling() {
    if (polling) return;
    polling = true;
    setTimeout(poll, POLL_MS);
  }

  async function poll() {
    let active = true;
    try {
      let after = 0;
      try { after = Number(localStorage.getItem(AFTER_KEY)) || 0; } catch (_) { /* storage disabled */ }
      const url = "/api/v1/chat/messages?" + new URLSearchParams({ user_id: userId, after: String(after) });
      const response = await fetch(url);
      if (response.ok) {
        const data = await response.json();
        for (const m of data.messages || []) {
          const bubble = botBubble({ text: m.text, buttons: [], images: [] });
          log.append(bubble);
          reveal(bubble);
          after = Math.max(after, m.id);
        }
        try { localStorage.setItem(AFTER_KEY, String(after)); } catch (_) { /* see above */ }
        active = Boolean(data.active);
      }
    } catch (_) { /* network down: try again later */ }
    if (active) setTimeout(poll, POLL_MS);
    else polling = false;
  }

  // Announcements of the citizen's commune (they opted in): fetched when the page opens and every minute.
  const ANNOUNCE_MS = 60000;
  const ANNOUNCE_KEY = "troly06.announce_after";

  async function fetchAnnouncements() {
    try {
      let after = 0;
      try { after = Number(localStorage.getItem(ANNOUNCE_KEY)) || 0; } catch (_) { /* storage disabled */ }
      const url = "/api/v1/chat/announcements?" + new URLSearchParams({ user_id: userId, after: String(after) });
      const response = await fetch(url);
      if (response.ok) {
        const data = await response.json();
        for (const m of data.messages || []) {
          const bubble = botBubble({ text: m.text, buttons: m.buttons || [], images: m.images || [] });
          log.append(bubble);
          reveal(bubble);
          after = Math.max(after, m.id);
        }
        try { localStorage.setItem(ANNOUNCE_KEY, String(after)); } catch (_) { /* see above */ }
      }
    } catch (_) { /* network down: try again later */ }
    setTimeout(fetchAnnouncements, ANNOUNCE_MS);
  }
  setTimeout(fetchAnnouncements, 1500);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    if (await send({ text }, text)) input.value = "";
  });

  // Every button with a payload (bot choices, the privacy link) sends it and shows its label.
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest("button[data-payload]") : null;
    if (!target) return;
    if (target.dataset.payload === LOCATION_PAYLOAD && "geolocation" in navigator) {
      // The browser asks the citizen; only the coordinates (4 decimals) go to the bot, which rounds
      // them further and never stores them. Refused or failed: the bot explains the other ways.
      navigator.geolocation.getCurrentPosition(
        (pos) => send({ payload: geoPayload(pos.coords.latitude, pos.coords.longitude) }, target.textContent),
        () => send({ payload: LOCATION_PAYLOAD }, target.textContent),
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
      );
      return;
    }
    send({ payload: target.dataset.payload }, target.textContent);
  });

  // ?start=<payload> opens that content once; otherwise the bot says hello.
  const params = new URLSearchParams(location.search);
  const start = params.get("start");
  if (params.has("start")) {
    params.delete("start");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  send(start && PAYLOAD_RE.test(start) ? { payload: start } : { text: "/start" });
})();
