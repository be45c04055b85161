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
    // A count with its noun, singular for one (as the templates' `counted` filter): "1 record", "2,301 records".
    counted(n, noun) {
      const k = Number(n) || 0;
      return `${k.toLocaleString("en-US")} ${k === 1 ? noun : `${noun}s`}`;
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
    // One deconfliction hit or candidate (`deconfliction.hit_view`'s shapes) as a list item: the record, its
    // score, reasons, cases and whom to contact; a restricted one is only whom to contact (as `_hit.html`).
    hit(c) {
      const el = window.ccms.el;
      const contact = c.owner ? el("p", { class: "contact" }, "Contact: ", el("strong", { text: c.owner.name || "" }),
        `, ${c.owner.office || c.owner.office_code || ""} · ${c.owner.phone || ""} · ${c.owner.email || ""}`) : null;
      if (c.restricted) {
        return el("li", { class: "cand restricted" }, el("span", { class: "lock", text: "Restricted match" }),
          ` A ${c.type} record you may not read matches. Contact its owner before acting.`, contact);
      }
      const reasons = el("ul", { class: "reasons" }, ...(c.explanation || []).filter((e) => e.weight)
        .map((e) => el("li", { class: e.weight > 0 ? "for" : "against",
          text: `${e.field.replace(/_/g, " ")}: ${String(e.level).replace(/_/g, " ")} (${e.weight > 0 ? "+" : ""}${e.weight.toFixed(1)})` })));
      return el("li", { class: `cand decision-${c.decision}` },
        el("a", { href: `/records/${encodeURIComponent(c.uid)}`, text: c.caption }), " ",
        el("span", { class: `score score-${c.decision}`, text: `${Math.round((c.score || 0) * 100)}% · ${String(c.decision).replace(/_/g, " ")}` }),
        (c.cases || []).length ? el("span", { class: "muted", text: ` in ${c.cases.join(", ")}` }) : null,
        reasons, contact);
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
