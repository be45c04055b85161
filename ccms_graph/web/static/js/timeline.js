// The time bar: a stacked histogram of a scope's events per day, week or month (GET /api/v1/map/timeline),
// drawn as SVG; dragging across it (or the From/Until fields) chooses the period that filters the map or
// the explorer. The bar itself always shows all time, with the chosen period highlighted.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const KINDS = ["call", "sighting", "arrest", "seizure", "document", "link"];
  const W = 600, H = 90, AXIS = 14;
  const svgEl = (tag, attrs) => { const n = document.createElementNS(NS, tag); Object.entries(attrs || {}).forEach(([k, v]) => n.setAttribute(k, v)); return n; };
  const dayBefore = (iso) => { const d = new Date(`${iso}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - 1); return d.toISOString().slice(0, 10); };

  window.ccmsTimebar = function (root, opts) {
    const svg = root.querySelector(".tb-chart");
    const status = root.querySelector(".tb-status");
    const since = root.querySelector(".tb-since"), until = root.querySelector(".tb-until");
    let data = { buckets: [] };

    function highlight() {
      svg.querySelectorAll(".tb-sel").forEach((n) => n.remove());
      const b = data.buckets;
      if (!b.length || (!since.value && !until.value)) return;
      const i0 = since.value ? b.findIndex((x) => x.end > since.value) : 0;
      let i1 = b.length - 1;
      if (until.value) { i1 = -1; b.forEach((x, i) => { if (x.start <= until.value) i1 = i; }); }
      if (i0 < 0 || i1 < i0) return;
      const bw = W / b.length;
      svg.insertBefore(svgEl("rect", { class: "tb-sel", x: i0 * bw, y: 0, width: (i1 - i0 + 1) * bw, height: H - AXIS }), svg.firstChild);
    }

    function draw() {
      svg.replaceChildren();
      const b = data.buckets;
      root.querySelectorAll(".tb-total").forEach((n) => { n.textContent = `(${(data.totals || {})[n.dataset.kind] || 0})`; });
      if (!b.length) { status.textContent = "Nothing dated to show."; return; }
      const max = Math.max(1, ...b.map((x) => KINDS.reduce((s, k) => s + (x.counts[k] || 0), 0)));
      const bw = W / b.length, plot = H - AXIS - 2;
      b.forEach((x, i) => {
        let y = H - AXIS;
        const g = svgEl("g", { class: "tb-col", "data-start": x.start });
        const parts = [];
        // a column's height grows with the square root of its count, so a day of 100 links leaves a day of
        // 2 sightings visible; the kinds share the column in proportion
        const total = KINDS.reduce((s, k) => s + (x.counts[k] || 0), 0);
        const column = Math.sqrt(total / max) * plot;
        KINDS.forEach((k) => {
          const n = x.counts[k] || 0;
          if (!n) return;
          const h = Math.max(1, (n / total) * column);
          y -= h;
          g.append(svgEl("rect", { class: `tb-bar tb-${k}`, x: i * bw + 0.5, y, width: Math.max(0.5, bw - 1), height: h }));
          parts.push(ccms.counted(n, k.replace("_", " ")));
        });
        const t = svgEl("title"); t.textContent = `${x.start}: ${parts.join(", ") || "nothing"}`; g.prepend(t);
        svg.append(g);
      });
      [[b[0].start, 2, "start"], [dayBefore(b[b.length - 1].end), W - 2, "end"]].forEach(([txt, x, anchor]) => {
        const t = svgEl("text", { class: "tb-axis", x, y: H - 3, "text-anchor": anchor }); t.textContent = txt; svg.append(t);
      });
      status.textContent = `per ${data.bucket}, ${data.first} to ${data.last}`;
      highlight();
    }

    async function reload() {
      status.textContent = "Loading…";
      try { data = await ccms.getJSON(`${opts.url}?${opts.query()}`); draw(); }
      catch (e) { data = { buckets: [] }; svg.replaceChildren(); status.textContent = e.status === 404 ? "That case does not exist or you may not see it." : `Could not load the time bar: ${e.message}`; }
    }

    function setPeriod(from, to, quiet) {
      since.value = from || ""; until.value = to || "";
      highlight();
      if (!quiet) opts.onPeriod(since.value, until.value);
    }

    // Brushing: drag across the bars; a click on one bar chooses that bucket.
    let anchor = null;
    const indexAt = (ev) => {
      const r = svg.getBoundingClientRect();
      return Math.min(data.buckets.length - 1, Math.max(0, Math.floor(((ev.clientX - r.left) / r.width) * data.buckets.length)));
    };
    const brushTo = (ev) => {
      const i = indexAt(ev), lo = Math.min(anchor, i), hi = Math.max(anchor, i);
      return [data.buckets[lo].start, dayBefore(data.buckets[hi].end)];
    };
    svg.addEventListener("pointerdown", (ev) => { if (!data.buckets.length) return; anchor = indexAt(ev); svg.setPointerCapture(ev.pointerId); ev.preventDefault(); });
    svg.addEventListener("pointermove", (ev) => { if (anchor === null) return; const [a, z] = brushTo(ev); setPeriod(a, z, true); });
    svg.addEventListener("pointerup", (ev) => { if (anchor === null) return; const [a, z] = brushTo(ev); anchor = null; setPeriod(a, z); });
    root.querySelector(".tb-apply").addEventListener("click", () => setPeriod(since.value, until.value));
    root.querySelector(".tb-clear").addEventListener("click", () => setPeriod("", ""));
    return { reload, setPeriod, period: () => ({ since: since.value, until: until.value }) };
  };
})();
