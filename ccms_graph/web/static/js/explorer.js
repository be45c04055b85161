// The link explorer: a Cytoscape canvas grown one hop at a time from the policy-filtered neighbours endpoint.
(function () {
  "use strict";
  const BIG = 400; // above this many nodes, turn off the costly rendering features and animate nothing

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("explorer");
    if (!root || typeof cytoscape === "undefined") return;
    const $ = (id) => document.getElementById(id);
    const colours = JSON.parse(root.dataset.colours || "{}");
    const statusEl = $("ex-status");
    const say = (text) => { statusEl.textContent = text; };
    const state = { selected: null, pathFrom: null, pathTo: null, expandedBy: new Map() };

    const style = [
      { selector: "node", style: {
        "background-color": (n) => colours[n.data("type")] || "#6b7785", label: "data(label)", color: "#1b1f24",
        "font-size": 11, "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 140,
        width: 26, height: 26, "border-width": 2, "border-color": "#fff", "min-zoomed-font-size": 7,
        "text-background-color": "#fff", "text-background-opacity": 0.8, "text-background-padding": 1 } },
      { selector: "node[type = 'Case']", style: { shape: "round-rectangle", width: 34, height: 24 } },
      { selector: "node[type = 'Phone'], node[type = 'Email'], node[type = 'SocialHandle']", style: { shape: "diamond", width: 20, height: 20 } },
      { selector: "node[type = 'Address']", style: { shape: "triangle", width: 22, height: 22 } },
      { selector: "node[type = 'Business']", style: { shape: "hexagon" } },
      { selector: "node[type = 'Vehicle'], node[type = 'Vessel'], node[type = 'Aircraft']", style: { shape: "tag" } },
      { selector: "node[type = 'Thing']", style: { shape: "barrel" } },
      { selector: "node.locked", style: { "background-color": "#9aa4ae", shape: "rectangle", "border-style": "dashed",
        "border-color": "#4a5560", label: "Restricted", color: "#4a5560" } },
      { selector: "node.expanded", style: { "border-color": "#1b1f24", "border-width": 3 } },
      { selector: "node.pinned", style: { "border-color": "#8a4b00", "border-width": 4, "border-style": "double" } },
      { selector: "node:selected", style: { "overlay-color": "#0b5cad", "overlay-opacity": 0.25, "overlay-padding": 6 } },
      { selector: "edge", style: { width: 1.5, "line-color": "#aab4be", "curve-style": "haystack", opacity: 0.9 } },
      { selector: "edge.labelled", style: { label: "data(type)", "font-size": 8, color: "#4a5560", "text-rotation": "autorotate",
        "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#aab4be", "arrow-scale": 0.7 } },
      { selector: ".hidden, .filtered", style: { display: "none" } },
      { selector: ".path", style: { "line-color": "#d4351c", "target-arrow-color": "#d4351c", width: 4, "border-color": "#d4351c",
        "border-width": 4, "z-index": 10 } },
      { selector: ".shared", style: { "border-color": "#ffb000", "border-width": 5, width: 34, height: 34, "z-index": 9 } },
      { selector: ".faded", style: { opacity: 0.25 } },
    ];

    const cy = cytoscape({ container: $("cy"), style, wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 3,
      pixelRatio: 1, motionBlur: false, boxSelectionEnabled: false });
    window.ccmsExplorer = { cy, state };

    function tune() {
      const big = cy.nodes().length > BIG;
      const r = cy.renderer(); // these are read from the renderer on every frame, so they can change after start
      r.textureOnViewport = big;
      r.hideEdgesOnViewport = big;
      cy.edges().toggleClass("labelled", !big && cy.edges().length <= 40);
    }

    function layout(name, opts) {
      const n = cy.nodes(":visible").length;
      const big = n > BIG;
      const base = { name, animate: false, fit: true, padding: 30 };
      const extra = {
        cose: { nodeRepulsion: () => 9000, idealEdgeLength: () => 70, numIter: big ? 250 : 1000, randomize: false },
        breadthfirst: { directed: false, spacingFactor: 1.1, roots: state.selected ? [state.selected.id()] : undefined },
        concentric: { minNodeSpacing: 12, concentric: (node) => node.degree(), levelWidth: () => 3 },
        grid: { avoidOverlap: true }, circle: { avoidOverlap: true },
      }[name] || {};
      cy.elements(":visible").not(".pinned").layout({ ...base, ...extra, ...(opts || {}) }).run();
    }

    function refreshNodeList() {
      const sel = $("ex-nodes");
      const keep = sel.value;
      const opts = cy.nodes(":visible").sort((a, b) => (a.data("label") || "").localeCompare(b.data("label") || ""))
        .map((n) => ccms.el("option", { value: n.id(), text: `${n.data("label")} (${n.data("type")})` }));
      sel.replaceChildren(ccms.el("option", { value: "", text: "—" }), ...opts);
      if (keep && cy.getElementById(keep).length) sel.value = keep;
    }

    function applyFilters() {
      const links = new Set([...document.querySelectorAll("#ex-filter-links input:checked")].map((i) => i.value));
      const types = new Set([...document.querySelectorAll("#ex-filter-nodes input:checked")].map((i) => i.value));
      cy.batch(() => {
        cy.nodes().forEach((n) => n.toggleClass("filtered", !types.has(n.data("locked") ? "locked" : n.data("type"))));
        cy.edges().forEach((e) => e.toggleClass("filtered", !links.has(e.data("type"))));
      });
      refreshNodeList();
    }

    function detailsOf(n) {
      const box = $("ex-details");
      const d = n.data();
      const rows = [["Type", d.type]];
      if (d.status) rows.push(["Status", d.status]);
      if (d.office) rows.push(["Office", d.office]);
      rows.push(["Links on screen", String(n.connectedEdges().length)]);
      const href = d.locked ? null : (d.type === "Case" ? root.dataset.case : root.dataset.record).replace("__UID__", encodeURIComponent(d.id));
      box.replaceChildren(
        ccms.el("h2", { text: d.locked ? "Restricted record" : d.label }),
        ccms.el("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [ccms.el("dt", { text: k }), ccms.el("dd", { text: v })])),
        d.locked ? ccms.el("p", { class: "muted", text: "You may not read this record. Ask its owner or a supervisor for access." })
          : ccms.el("p", {}, ccms.el("a", { href, text: d.type === "Case" || ["Person", "Business", "Vehicle", "Vessel", "Aircraft", "Thing"].includes(d.type) ? "Open the full page" : "" })));
      box.hidden = false;
    }

    function select(n) {
      cy.nodes().unselect();
      state.selected = n && n.length ? n : null;
      if (!state.selected) { $("ex-selected").textContent = "Nothing selected."; $("ex-details").hidden = true; return; }
      n.select();
      $("ex-nodes").value = n.id();
      $("ex-selected").textContent = `${n.data("locked") ? "Restricted record" : n.data("label")} · ${n.data("type")}`;
      $("ex-pin").textContent = n.hasClass("pinned") ? "Unpin" : "Pin";
      detailsOf(n);
    }

    function add(data, parentId) {
      const before = new Set(cy.nodes().map((n) => n.id()));
      const parent = parentId ? cy.getElementById(parentId) : null;
      const centre = parent && parent.length ? parent.position() : { x: 0, y: 0 };
      const fresh = data.nodes.filter((n) => !before.has(n.id));
      cy.batch(() => {
        fresh.forEach((n, i) => {
          const a = (2 * Math.PI * i) / Math.max(fresh.length, 1);
          const r = 80 + 6 * Math.sqrt(fresh.length) * 10;
          cy.add({ group: "nodes", data: n, classes: n.locked ? "locked" : "",
            position: { x: centre.x + r * Math.cos(a), y: centre.y + r * Math.sin(a) } });
        });
        data.edges.forEach((e) => { if (!cy.getElementById(e.id).length) cy.add({ group: "edges", data: e }); });
      });
      if (parentId) {
        const mine = state.expandedBy.get(parentId) || new Set();
        fresh.forEach((n) => mine.add(n.id));
        state.expandedBy.set(parentId, mine);
        cy.getElementById(parentId).addClass("expanded");
      }
      tune();
      applyFilters();
      return fresh.length;
    }

    async function expand(uid, linkType) {
      const url = root.dataset.neighbours.replace("__UID__", encodeURIComponent(uid)) + (linkType ? `?type=${encodeURIComponent(linkType)}` : "");
      say("Expanding…");
      try {
        const data = await ccms.getJSON(url);
        const first = cy.nodes().length === 0;
        const added = add(data, data.center);
        if (first || cy.nodes().length <= BIG) layout($("ex-layout").value);
        if (first) select(cy.getElementById(data.center));
        const locked = data.nodes.filter((n) => n.locked).length;
        say(`${added} new node${added === 1 ? "" : "s"}${locked ? `, ${locked} restricted` : ""} · ${cy.nodes().length} nodes, ${cy.edges().length} links on screen.`);
      } catch (e) {
        say(e.status === 404 ? "That record does not exist or you may not see it." : `Could not expand: ${e.message}`);
      }
    }

    function collapse(n) {
      const mine = state.expandedBy.get(n.id());
      if (!mine) { say("This node has not been expanded."); return; }
      const gone = cy.collection();
      mine.forEach((id) => {
        const m = cy.getElementById(id);
        if (m.length && !m.hasClass("pinned") && m.id() !== state.pathFrom && m.id() !== state.pathTo
            && m.connectedEdges().connectedNodes().difference(m).difference(n).length === 0) gone.merge(m);
      });
      cy.remove(gone);
      state.expandedBy.delete(n.id());
      n.removeClass("expanded");
      refreshNodeList();
      say(`Collapsed ${gone.length} node${gone.length === 1 ? "" : "s"} · ${cy.nodes().length} on screen.`);
    }

    async function shortestPath() {
      const out = $("ex-path-result");
      cy.elements().removeClass("path faded");
      if (!state.pathFrom || !state.pathTo) { out.textContent = "Choose a start and an end node first."; return; }
      try {
        const body = await ccms.getJSON(`${root.dataset.path}?from=${encodeURIComponent(state.pathFrom)}&to=${encodeURIComponent(state.pathTo)}`);
        if (body.available && body.nodes) { add(body, null); }
      } catch (e) { /* no server-side path yet: search the graph on screen */ }
      const from = cy.getElementById(state.pathFrom), to = cy.getElementById(state.pathTo);
      const res = cy.elements(":visible").aStar({ root: from, goal: to, directed: false });
      if (!res.found) { out.textContent = "No path between them among the nodes on screen; expand more and try again."; return; }
      cy.elements().addClass("faded");
      res.path.removeClass("faded").addClass("path");
      cy.fit(cy.elements(":visible"), 30);
      const names = res.path.nodes().map((n) => (n.data("locked") ? "Restricted" : n.data("label")));
      out.textContent = `Path of ${res.distance} link${res.distance === 1 ? "" : "s"}: ${names.join(" → ")}`;
    }

    function sharedSelectors() {
      cy.nodes().removeClass("shared");
      let count = 0;
      cy.nodes("[type = 'Phone'], [type = 'Address']").forEach((sel) => {
        const cases = new Set();
        sel.neighborhood("node").forEach((subject) => {
          subject.neighborhood("node[type = 'Case']").forEach((c) => cases.add(c.id()));
        });
        if (cases.size >= 2) { sel.addClass("shared"); count += 1; }
      });
      $("ex-shared-result").textContent = count ? `${count} phone or address node${count === 1 ? "" : "s"} link subjects of different cases (outlined in amber).`
        : "No phone or address on screen links subjects of two cases. Expand the selectors' neighbours first.";
    }

    function download(name, blobOrUrl) {
      const url = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
      const a = ccms.el("a", { href: url, download: name });
      document.body.append(a); a.click(); a.remove();
      if (typeof blobOrUrl !== "string") setTimeout(() => URL.revokeObjectURL(url), 5000);
    }
    const csvCell = (v) => `"${String(v === undefined || v === null ? "" : v).replace(/"/g, '""')}"`;

    // --- wiring -----------------------------------------------------------------------------------
    cy.on("tap", "node", (ev) => select(ev.target));
    cy.on("tap", (ev) => { if (ev.target === cy) select(null); });
    cy.on("dbltap", "node", (ev) => expand(ev.target.id(), $("ex-linktype").value));
    $("ex-nodes").addEventListener("change", (ev) => { const n = cy.getElementById(ev.target.value); select(n); if (n.length) cy.animate({ center: { eles: n } }, { duration: 0 }); });
    const need = () => { if (!state.selected) { say("Select a node first."); return false; } return true; };
    $("ex-expand").addEventListener("click", () => { if (need()) expand(state.selected.id(), $("ex-linktype").value); });
    $("ex-collapse").addEventListener("click", () => { if (need()) collapse(state.selected); });
    $("ex-pin").addEventListener("click", () => {
      if (!need()) return;
      const n = state.selected;
      if (n.hasClass("pinned")) { n.removeClass("pinned"); n.unlock(); } else { n.addClass("pinned"); n.lock(); }
      $("ex-pin").textContent = n.hasClass("pinned") ? "Unpin" : "Pin";
    });
    $("ex-hide").addEventListener("click", () => { if (need()) { state.selected.addClass("hidden"); select(null); refreshNodeList(); } });
    $("ex-showall").addEventListener("click", () => { cy.elements().removeClass("hidden"); refreshNodeList(); });
    $("ex-path-a").addEventListener("click", () => { if (need()) { state.pathFrom = state.selected.id(); $("ex-path-from").textContent = state.selected.data("label"); } });
    $("ex-path-b").addEventListener("click", () => { if (need()) { state.pathTo = state.selected.id(); $("ex-path-to").textContent = state.selected.data("label"); } });
    $("ex-path").addEventListener("click", shortestPath);
    $("ex-shared").addEventListener("click", sharedSelectors);
    document.querySelectorAll("#ex-filter-links input, #ex-filter-nodes input").forEach((i) => i.addEventListener("change", applyFilters));
    $("ex-relayout").addEventListener("click", () => layout($("ex-layout").value));
    $("ex-layout").addEventListener("change", () => layout($("ex-layout").value));
    $("ex-fit").addEventListener("click", () => cy.fit(cy.elements(":visible"), 30));
    $("ex-png").addEventListener("click", () => download("link-explorer.png", cy.png({ full: true, bg: "#ffffff", scale: 2, maxWidth: 8000 })));
    $("ex-json").addEventListener("click", () => download("link-explorer.json", new Blob([JSON.stringify({
      nodes: cy.nodes(":visible").map((n) => n.data()), edges: cy.edges(":visible").map((e) => e.data()) }, null, 2)], { type: "application/json" })));
    $("ex-csv").addEventListener("click", () => {
      const lines = [["kind", "id", "type", "label", "source", "target", "locked"].join(",")];
      cy.nodes(":visible").forEach((n) => lines.push(["node", n.id(), n.data("type"), n.data("label"), "", "", !!n.data("locked")].map(csvCell).join(",")));
      cy.edges(":visible").forEach((e) => lines.push(["edge", e.id(), e.data("type"), e.data("reason") || "", e.data("source"), e.data("target"), ""].map(csvCell).join(",")));
      download("link-explorer.csv", new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    });
    root.addEventListener("picked", (ev) => {
      cy.elements().remove(); state.expandedBy.clear(); state.pathFrom = state.pathTo = null;
      $("ex-path-from").textContent = $("ex-path-to").textContent = "—";
      history.replaceState(null, "", `?start=${encodeURIComponent(ev.detail.uid)}`);
      expand(ev.detail.uid, "");
    });
    if (root.dataset.start) expand(root.dataset.start, "");
  });
})();
