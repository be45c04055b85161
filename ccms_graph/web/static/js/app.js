// Shared helpers for page scripts: the CSRF token, JSON fetches, and the "/" shortcut to the search box.
(function () {
  "use strict";
  const token = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  window.ccms = {
    token,
    getJSON(url) {
      return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(async (r) => {
        const body = await r.json().catch(() => ({}));
        if (!r.ok) { const e = new Error(body.detail || body.message || r.statusText); e.status = r.status; e.body = body; throw e; }
        return body;
      });
    },
    postForm(url, data) {
      return fetch(url, { method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token() } }).then(async (r) => {
        const body = await r.json().catch(() => ({}));
        if (!r.ok) { const e = new Error(body.detail || body.message || r.statusText); e.status = r.status; e.body = body; throw e; }
        return body;
      });
    },
    el(tag, attrs, ...children) {
      const n = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") n.className = v; else if (k === "text") n.textContent = v; else n.setAttribute(k, v);
      }
      for (const c of children) if (c !== null && c !== undefined) n.append(c);
      return n;
    },
  };
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.key === "/" && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)) {
      const box = document.getElementById("quick-q");
      if (box) { ev.preventDefault(); box.focus(); }
    }
  });
})();
