// The map page: Leaflet over an offline basemap (TopoJSON from npm, no tile server), the located things the
// viewer may read (GET /api/v1/map/features: features clustered here, or the server's grid clusters beyond
// its limit), and the time bar whose period filters the map and travels to the explorer in the URL.
(function () {
  "use strict";
  const LABELS = { address: "address", sighting: "sighting", arrest: "arrest", seizure: "seizure", cell_site: "cell site" };

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("geo");
    if (!root || typeof L === "undefined") return;
    const $ = (id) => document.getElementById(id);
    const summary = $("geo-summary");
    const map = L.map("geo-map", { zoomControl: true, worldCopyJump: true, minZoom: 2, maxZoom: 18 }).setView([33, -90], 4);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Basemap: Natural Earth, US Census Bureau");
    const base = { interactive: false, style: { color: "#8a97a5", weight: 0.8, fillColor: "#eef0e6", fillOpacity: 1 } };
    Promise.all([root.dataset.countries, root.dataset.states].map((u) => fetch(u).then((r) => r.json()))).then(([world, us]) => {
      L.geoJSON(topojson.feature(world, world.objects.countries), base).addTo(map).bringToBack();
      L.geoJSON(topojson.feature(us, us.objects.states), { interactive: false, style: { color: "#aab4be", weight: 0.6, fill: false } }).addTo(map);
    }).catch(() => { summary.textContent += " (The basemap could not be loaded.)"; });

    let layer = null, last = null, fitted = false;
    const shownKinds = () => new Set([...root.querySelectorAll(".geo-kinds input:checked")].map((i) => i.value));
    const scope = () => {
      const q = new URLSearchParams();
      if (root.dataset.case) q.set("case", root.dataset.case);
      else if (root.dataset.uids) q.set("uids", root.dataset.uids);
      else { const b = map.getBounds(); q.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => Math.max(-180, Math.min(180, v)).toFixed(5)).join(",")); }
      return q;
    };

    function popup(f) {
      const href = ["address", "arrest", "seizure"].includes(f.kind) && f.uid ? root.dataset.record.replace("__UID__", encodeURIComponent(f.uid)) : null;
      const when = f.first_at ? (f.first_at === f.last_at ? f.first_at : `${f.first_at} – ${f.last_at}`) : "";
      return ccms.el("div", {}, ccms.el("strong", { text: f.label || LABELS[f.kind] }),
        ccms.el("div", { class: "small", text: `${LABELS[f.kind]}${f.kind === "cell_site" ? ` · ${ccms.counted(f.n, "call")}` : ""}` }),
        when ? ccms.el("div", { class: "small", text: when.replace("T", " ").slice(0, 60) }) : null,
        f.detail ? ccms.el("div", { class: "small", text: f.detail }) : null,
        href ? ccms.el("a", { href, text: "Open" }) : null);
    }

    function draw() {
      if (layer) map.removeLayer(layer);
      if (!last) return;
      const kinds = shownKinds();
      let drawn = 0;
      if (last.clustered) {
        layer = L.layerGroup();
        last.clusters.forEach((c) => {
          const n = Object.entries(c.by_kind).reduce((s, [k, v]) => s + (kinds.has(k) ? v : 0), 0);
          if (!n) return;
          drawn += n;
          const size = 26 + Math.min(24, Math.round(Math.log10(n) * 8));
          layer.addLayer(L.marker([c.lat, c.lon], { icon: L.divIcon({ className: "geo-cell", html: String(n), iconSize: [size, size] }),
            title: ccms.counted(n, "point"), keyboard: true }));
        });
      } else {
        layer = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
        const markers = last.features.filter((f) => kinds.has(f.kind)).map((f) => L.marker([f.lat, f.lon], {
          icon: L.divIcon({ className: `pt pt-${f.kind}`, iconSize: [14, 14] }), title: `${f.label || LABELS[f.kind]} (${LABELS[f.kind]})`,
          keyboard: true, kind: f.kind }).bindPopup(() => popup(f)));
        drawn = markers.length;
        layer.addLayers(markers);
      }
      layer.addTo(map);
      summary.dataset.drawn = String(drawn);
      summary.dataset.total = String(last.total);
      const plural = (k, v) => (v === 1 ? LABELS[k] : k === "address" ? "addresses" : `${LABELS[k]}s`);
      const parts = Object.entries(last.by_kind).filter(([, v]) => v).map(([k, v]) => `${v} ${plural(k, v)}`);
      const period = bar.period();
      summary.textContent = `${ccms.counted(last.total, "point")}${parts.length ? ` (${parts.join(", ")})` : ""}`
        + `${period.since || period.until ? `, ${period.since || "…"} to ${period.until || "…"}` : ", all time"}`
        + `${last.clustered ? "; grouped by area, zoom in for single points" : ""}.`;
      root.querySelectorAll(".geo-count").forEach((n) => { n.textContent = `(${last.by_kind[n.dataset.kind] || 0})`; });
      if (!fitted && last.bbox && (root.dataset.case || root.dataset.uids)) {
        fitted = true;
        const [w, s, e, n] = last.bbox;
        map.fitBounds([[s, w], [n, e]], { padding: [30, 30], maxZoom: 9 }); // the basemap is coarse: keep some context
      }
    }

    let seq = 0;
    async function load() {
      const q = scope();
      const p = bar.period();
      if (p.since) q.set("since", p.since);
      if (p.until) q.set("until", p.until);
      const mine = ++seq;
      summary.textContent = "Loading…";
      try {
        const body = await ccms.getJSON(`${root.dataset.features}?${q}`);
        if (mine !== seq) return;
        last = body; draw();
      } catch (e) {
        if (mine !== seq) return;
        last = null; if (layer) map.removeLayer(layer);
        summary.textContent = e.status === 404 ? "That case does not exist or you may not see it." : `Could not load the map: ${e.message}`;
      }
    }

    function syncLinks() {
      const p = bar.period();
      const u = new URL(window.location.href);
      ["since", "until"].forEach((k) => { if (p[k]) u.searchParams.set(k, p[k]); else u.searchParams.delete(k); });
      history.replaceState(null, "", u);
      const ex = new URL($("geo-explore").href);
      ["since", "until"].forEach((k) => { if (p[k]) ex.searchParams.set(k, p[k]); else ex.searchParams.delete(k); });
      $("geo-explore").href = ex.pathname + ex.search;
    }

    const bar = ccmsTimebar(root.querySelector("[data-timebar]"), {
      url: root.dataset.timeline,
      query: () => { const q = scope(); return q; },
      onPeriod: () => { syncLinks(); load(); },
    });
    root.querySelectorAll(".geo-kinds input").forEach((i) => i.addEventListener("change", draw));
    if (!root.dataset.case && !root.dataset.uids) map.on("moveend", () => { load(); bar.reload(); });
    syncLinks();
    bar.reload();
    load();
    window.ccmsMap = { map, load, bar, last: () => last };
  });
})();
