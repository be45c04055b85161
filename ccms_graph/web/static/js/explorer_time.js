// The explorer's time bar: the events of the records on screen (GET /api/v1/map/timeline?uids=...), and a
// period (dragged across the bar, typed, or from ?since=&until=) that hides the links made outside it and
// the records left with no link in it; the period travels in the URL and to the map of what is on screen.
(function () {
  "use strict";
  const MAX_UIDS = 500;

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("ex-time");
    if (!root || !window.ccmsExplorer || !window.ccmsTimebar) return;
    const { cy } = window.ccmsExplorer;
    const result = document.getElementById("ex-time-result");
    const day = (v) => (v ? String(v).slice(0, 10) : "");

    const uids = () => cy.nodes().filter((n) => !n.data("locked")).map((n) => n.id()).slice(0, MAX_UIDS);

    function inPeriod(p, from, to) {
      const lo = day(from), hi = day(to) || lo;
      if (!lo) return true; // undated: a record is not an event
      return !((p.until && lo > p.until) || (p.since && hi < p.since));
    }

    function apply() {
      const p = bar.period();
      let nodes = 0, links = 0;
      cy.batch(() => {
        cy.edges().forEach((e) => {
          const out = !inPeriod(p, e.data("at"), e.data("at_end"));
          e.toggleClass("timeout", out); if (out) links += 1;
        });
        cy.nodes().forEach((n) => {
          const edges = n.connectedEdges();
          const own = !inPeriod(p, n.data("at"), n.data("at"));
          const stranded = edges.length > 0 && !n.hasClass("expanded") && !n.selected() && edges.every((e) => e.hasClass("timeout"));
          const out = own || stranded;
          n.toggleClass("timeout", out); if (out) nodes += 1;
        });
      });
      result.textContent = p.since || p.until
        ? `${p.since || "…"} to ${p.until || "…"}: ${ccms.counted(nodes, "record")} and ${ccms.counted(links, "link")} outside the period hidden.`
        : "";
      root.dataset.hiddenNodes = String(nodes);
      root.dataset.hiddenLinks = String(links);
      const u = new URL(window.location.href);
      ["since", "until"].forEach((k) => { if (p[k]) u.searchParams.set(k, p[k]); else u.searchParams.delete(k); });
      history.replaceState(null, "", u);
      const q = new URLSearchParams({ uids: uids().join(",") });
      ["since", "until"].forEach((k) => { if (p[k]) q.set(k, p[k]); });
      document.getElementById("ex-map").href = `${root.dataset.map}?${q}`;
    }

    const bar = ccmsTimebar(root.querySelector("[data-timebar]"), {
      url: root.dataset.timeline,
      query: () => new URLSearchParams({ uids: uids().join(",") }),
      onPeriod: apply,
    });
    let pending = null;
    cy.on("add remove", () => {
      clearTimeout(pending);
      pending = setTimeout(() => { apply(); if (cy.nodes().length) bar.reload(); }, 250);
    });
    window.ccmsExplorer.time = { bar, apply };
  });
})();
