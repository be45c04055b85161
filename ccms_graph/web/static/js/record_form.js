// Query before create: as the user types, show records that may be the same, with score, reasons and contact.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("record-form");
    const list = document.getElementById("cand-list");
    const status = document.getElementById("cand-status");
    if (!form || !list || !form.dataset.candidates) return;
    let timer = null, seq = 0;
    const item = ccms.hit;
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
        const more = weaker.length ? ` ${ccms.counted(weaker.length, "weaker candidate")} below.` : "";
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
