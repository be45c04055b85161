// Query before create: as the user types, show records that may be the same, with score, reasons and contact.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("record-form");
    const list = document.getElementById("cand-list");
    const status = document.getElementById("cand-status");
    if (!form || !list || !form.dataset.candidates) return;
    let timer = null, seq = 0;
    const pct = (s) => `${Math.round((s || 0) * 100)}%`;
    function contact(owner) {
      if (!owner) return null;
      return ccms.el("p", { class: "contact" }, "Contact: ", ccms.el("strong", { text: owner.name || "" }),
        `, ${owner.office || owner.office_code || ""} · ${owner.phone || ""} · ${owner.email || ""}`);
    }
    function item(c) {
      if (c.restricted) {
        return ccms.el("li", { class: "cand restricted" }, ccms.el("span", { class: "lock", text: "Restricted match" }),
          ` A ${c.type} you may not read matches.`, contact(c.owner));
      }
      const reasons = ccms.el("ul", { class: "reasons" }, ...(c.explanation || []).filter((e) => e.weight)
        .map((e) => ccms.el("li", { class: e.weight > 0 ? "for" : "against",
          text: `${e.field.replace(/_/g, " ")}: ${String(e.level).replace(/_/g, " ")} (${e.weight > 0 ? "+" : ""}${e.weight.toFixed(1)})` })));
      return ccms.el("li", { class: `cand decision-${c.decision}` },
        ccms.el("a", { href: `/records/${encodeURIComponent(c.uid)}`, text: c.caption }), " ",
        ccms.el("span", { class: `score score-${c.decision}`, text: `${pct(c.score)} · ${String(c.decision).replace(/_/g, " ")}` }),
        (c.cases || []).length ? ccms.el("span", { class: "muted", text: ` in ${c.cases.join(", ")}` }) : null,
        reasons, contact(c.owner));
    }
    function look() {
      const mine = ++seq;
      const data = new FormData(form);
      status.textContent = "Looking for matching records…";
      ccms.postForm(form.dataset.candidates, data).then((b) => {
        if (mine !== seq) return;
        const cands = b.candidates || [];
        // Likely matches first; candidates the model scores as no match are shown apart, below.
        const likely = cands.filter((c) => c.restricted || c.decision !== "no_match");
        const weaker = cands.filter((c) => !c.restricted && c.decision === "no_match");
        const rows = likely.map(item);
        if (weaker.length) {
          const head = document.createElement("li");
          head.className = "cand-weaker";
          head.textContent = "Weaker candidates — probably not the same:";
          rows.push(head, ...weaker.map(item));
        }
        list.replaceChildren(...rows);
        const more = weaker.length ? ` ${weaker.length} weaker candidate${weaker.length === 1 ? "" : "s"} below.` : "";
        status.textContent = likely.length
          ? `${likely.length} possible match${likely.length === 1 ? "" : "es"}, best first.${more}`
          : (weaker.length ? `No likely match.${more}` : "No matching records so far.");
      }).catch((e) => { if (mine === seq) status.textContent = `Matching is unavailable: ${e.message}`; });
    }
    form.addEventListener("input", (ev) => {
      if (ev.target.name === "csrf_token") return;
      clearTimeout(timer);
      timer = setTimeout(look, 400);
    });
  });
})();
