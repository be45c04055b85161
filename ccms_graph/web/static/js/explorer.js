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

    // Styles are plain selectors (one per type), never per-element functions: Cytoscape evaluates a function
    // mapper for every element on every style pass. Above BIG nodes a cheaper sheet drops label backgrounds,
    // borders, arrows and edge labels, and shows node labels only when zoomed in or for marked nodes.
    function styleFor(big) {
      const typed = Object.entries(colours).map(([t, c]) => ({ selector: `node[type = '${t}']`, style: { "background-color": c } }));
      const base = [
        { selector: "node", style: big
          ? { "background-color": "#6b7785", label: "data(label)", color: "#1b1f24", "font-size": 11, "text-valign": "bottom",
              "text-margin-y": 2, "min-zoomed-font-size": 14, width: 18, height: 18, "border-width": 0, "text-events": "no" }
          : { "background-color": "#6b7785", label: "data(label)", color: "#1b1f24",
              "font-size": 11, "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 140,
              width: 26, height: 26, "border-width": 2, "border-color": "#fff", "min-zoomed-font-size": 7,
              "text-background-color": "#fff", "text-background-opacity": 0.8, "text-background-padding": 1 } },
        ...typed,
        { selector: "node[type = 'Case']", style: { shape: "round-rectangle", width: big ? 26 : 34, height: big ? 18 : 24 } },
        { selector: "node[type = 'Phone'], node[type = 'Email'], node[type = 'SocialHandle']", style: { shape: "diamond" } },
        { selector: "node[type = 'BankAccount'], node[type = 'CryptoWallet'], node[type = 'PaymentHandle']", style: { shape: "hexagon" } },
        { selector: "node[type = 'Address']", style: { shape: "triangle" } },
        { selector: "node[type = 'Business']", style: { shape: "hexagon" } },
        { selector: "node[type = 'Vehicle'], node[type = 'Vessel'], node[type = 'Aircraft']", style: { shape: "tag" } },
        { selector: "node[type = 'Thing']", style: { shape: "barrel" } },
        { selector: "node[photo_url]", style: { "background-image": "data(photo_url)", "background-fit": "cover",
          "background-clip": "node", "background-image-crossorigin": "use-credentials" } }, // a person's photo
        { selector: "node.locked", style: { "background-color": "#9aa4ae", shape: "rectangle", "border-style": "dashed",
          "border-width": 2, "border-color": "#4a5560", label: "Restricted", color: "#4a5560" } },
        { selector: "node.expanded", style: { "border-color": "#1b1f24", "border-width": 3 } },
        { selector: "node.pinned", style: { "border-color": "#8a4b00", "border-width": 4, "border-style": "double" } },
        { selector: "node:selected", style: { "overlay-color": "#0b5cad", "overlay-opacity": 0.3, "overlay-padding": 6,
          "min-zoomed-font-size": 0, "font-weight": "bold", "z-index": 20 } },
        { selector: "edge", style: { width: big ? 1 : 1.5, "line-color": "#aab4be", "curve-style": "haystack", opacity: big ? 0.6 : 0.9 } },
        { selector: "edge.labelled", style: { label: "data(type)", "font-size": 8, color: "#4a5560", "text-rotation": "autorotate",
          "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#aab4be", "arrow-scale": 0.7 } },
        { selector: ".hidden, .filtered, .timeout", style: { display: "none" } }, // .timeout: explorer_time.js
        { selector: ".path", style: { "line-color": "#d4351c", "target-arrow-color": "#d4351c", width: 4, "border-color": "#d4351c",
          "border-width": 4, "z-index": 10, "min-zoomed-font-size": 0 } },
        { selector: ".shared", style: { "border-color": "#ffb000", "border-width": 5, width: 34, height: 34, "z-index": 9, "min-zoomed-font-size": 0 } },
        { selector: ".faded", style: { opacity: 0.25 } },
      ];
      return base;
    }

    const cy = cytoscape({ container: $("cy"), style: styleFor(false), wheelSensitivity: 0.3, minZoom: 0.02, maxZoom: 3,
      pixelRatio: 1, motionBlur: false, boxSelectionEnabled: false, selectionType: "single" });
    state.big = false;

    function tune() {
      const big = cy.nodes().length > BIG;
      const r = cy.renderer(); // these are read from the renderer on every frame, so they can change after start
      r.textureOnViewport = big;
      r.hideEdgesOnViewport = big;
      r.hideLabelsOnViewport = big;
      if (big !== state.big) { state.big = big; cy.style().fromJson(styleFor(big)).update(); }
      cy.batch(() => cy.edges().toggleClass("labelled", !big && cy.edges().length <= 40));
    }

    function layout(name, opts) {
      const eles = cy.elements(":visible").not(".pinned");
      const big = eles.nodes().length > BIG;
      const base = { name, animate: false, fit: true, padding: 30 };
      const extra = {
        // force-directed is O(n^2) per iteration: fewer iterations and no gravity tuning on big graphs
        cose: { nodeRepulsion: () => 9000, idealEdgeLength: () => 70, numIter: big ? 120 : 1000, randomize: false,
                componentSpacing: 40, nodeOverlap: big ? 0 : 4, refresh: big ? 1000 : 20 },
        breadthfirst: { directed: false, spacingFactor: big ? 0.6 : 1.1, roots: state.selected ? [state.selected.id()] : undefined },
        concentric: { minNodeSpacing: big ? 4 : 12, concentric: (node) => node.degree(), levelWidth: () => 3, avoidOverlap: !big },
        grid: { avoidOverlap: !big }, circle: { avoidOverlap: !big },
      }[name] || {};
      if (name === "cose" && big) { skeletonLayout(eles, extra); return; }
      eles.layout({ ...base, ...extra, ...(opts || {}) }).run();
    }

    // Force-directed on a big graph: cose moves only the nodes with two or more links (the skeleton), and
    // each skeleton node's one-link neighbours are put on rings around it. Cost follows the skeleton's
    // size, not the screen's; a 2,000-node hub-and-spoke view has a skeleton of a handful of nodes.
    function skeletonLayout(eles, extra) {
      const nodes = eles.nodes();
      const core = nodes.filter((n) => n.degree(false) > 1);
      const leavesOf = new Map();
      const loose = [];
      nodes.difference(core).forEach((leaf) => {
        const host = leaf.neighborhood("node").intersection(core)[0];
        if (!host) { loose.push(leaf); return; }
        if (!leavesOf.has(host.id())) leavesOf.set(host.id(), []);
        leavesOf.get(host.id()).push(leaf);
      });
      const room = (id) => 60 + 24 * Math.sqrt((leavesOf.get(id) || []).length);
      if (core.length) {
        core.union(core.edgesWith(core)).layout({ ...extra, name: "cose", animate: false, fit: false, randomize: false,
          numIter: core.length > BIG ? 60 : 1000, idealEdgeLength: (e) => room(e.source().id()) + room(e.target().id()),
          nodeRepulsion: () => 400000 }).run();
        // cose treats edge lengths as hints: spread the skeleton until every ring fits beside its neighbours'
        let factor = 1;
        core.edgesWith(core).forEach((e) => {
          const a = e.source().position(), b = e.target().position();
          const d = Math.hypot(a.x - b.x, a.y - b.y) || 1;
          factor = Math.max(factor, (room(e.source().id()) + room(e.target().id())) / d);
        });
        if (factor > 1) {
          const c = core.boundingBox();
          const mid = { x: (c.x1 + c.x2) / 2, y: (c.y1 + c.y2) / 2 };
          cy.batch(() => core.forEach((n) => { const q = n.position(); n.position({ x: mid.x + (q.x - mid.x) * factor, y: mid.y + (q.y - mid.y) * factor }); }));
        }
      }
      cy.batch(() => {
        leavesOf.forEach((leaves, id) => {
          const spots = ringPositions(cy.getElementById(id).position(), leaves.length);
          leaves.forEach((leaf, i) => leaf.position(spots[i]));
        });
        const box = core.length ? core.boundingBox() : { x1: 0, y2: 0 };
        const perRow = Math.max(1, Math.ceil(Math.sqrt(loose.length)));
        loose.forEach((n, i) => n.position({ x: box.x1 + (i % perRow) * 40, y: box.y2 + 200 + Math.floor(i / perRow) * 40 }));
      });
      cy.fit(cy.elements(":visible"), 30);
    }

    const collator = new Intl.Collator(undefined, { sensitivity: "base" });
    function refreshNodeList() {
      const sel = $("ex-nodes");
      const keep = sel.value;
      const frag = document.createDocumentFragment();
      frag.append(ccms.el("option", { value: "", text: "—" }));
      cy.nodes(":visible").map((n) => [n.data("label") || "", n]).sort((a, b) => collator.compare(a[0], b[0]))
        .forEach(([label, n]) => frag.append(ccms.el("option", { value: n.id(), text: `${label} (${n.data("type")})` })));
      sel.replaceChildren(frag);
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
      if (!state.selected) { $("ex-selected").textContent = "Nothing selected."; $("ex-nodes").value = ""; $("ex-details").hidden = true; return; }
      n.select();
      $("ex-nodes").value = n.id();
      $("ex-selected").textContent = `${n.data("locked") ? "Restricted record" : n.data("label")} · ${n.data("type")}`;
      $("ex-pin").textContent = n.hasClass("pinned") ? "Unpin" : "Pin";
      detailsOf(n);
    }

    // New nodes go on rings around their parent (40px apart), so an expansion needs no layout run.
    function ringPositions(centre, count) {
      const out = [];
      let ring = 0, placed = 0;
      while (placed < count) {
        const r = 110 + ring * 46;
        const slots = Math.max(8, Math.floor((2 * Math.PI * r) / 40));
        const here = Math.min(slots, count - placed);
        for (let i = 0; i < here; i += 1) {
          const a = (2 * Math.PI * i) / here + ring * 0.35;
          out.push({ x: centre.x + r * Math.cos(a), y: centre.y + r * Math.sin(a) });
        }
        placed += here; ring += 1;
      }
      return out;
    }

    function add(data, parentId) {
      const parent = parentId ? cy.getElementById(parentId) : null;
      const centre = parent && parent.length ? parent.position() : { x: 0, y: 0 };
      const fresh = data.nodes.filter((n) => !cy.getElementById(n.id).length);
      const spots = ringPositions(centre, fresh.length);
      const elements = fresh.map((n, i) => ({ group: "nodes", data: n, classes: n.locked ? "locked" : "", position: spots[i] }));
      const seen = new Set();
      data.edges.forEach((e) => {
        if (!seen.has(e.id) && !cy.getElementById(e.id).length) { seen.add(e.id); elements.push({ group: "edges", data: e }); }
      });
      cy.batch(() => {
        cy.add(elements); // one call: one style pass and one notification for the whole expansion
        if (parentId) {
          const mine = state.expandedBy.get(parentId) || new Set();
          fresh.forEach((n) => mine.add(n.id));
          state.expandedBy.set(parentId, mine);
          cy.getElementById(parentId).addClass("expanded");
        }
      });
      tune();
      applyFilters();
      if (state.selected) detailsOf(state.selected); // its "links on screen" changed
      return fresh.length;
    }

    async function expand(uid, linkType) {
      const params = new URLSearchParams({ limit: root.dataset.limit || "1000" });
      if (linkType) params.set("type", linkType);
      const url = `${root.dataset.neighbours.replace("__UID__", encodeURIComponent(uid))}?${params}`;
      say("Expanding…");
      try {
        const data = await ccms.getJSON(url);
        const first = cy.nodes().length === 0;
        const added = add(data, data.center);
        // a first view of a big neighbourhood gets a cheap concentric layout; later big expansions keep the rings
        if (first) layout(cy.nodes().length > BIG ? "concentric" : $("ex-layout").value);
        else if (cy.nodes().length <= BIG) layout($("ex-layout").value);
        else cy.fit(cy.elements(":visible"), 30);
        if (first) select(cy.getElementById(data.center));
        const locked = data.nodes.filter((n) => n.locked).length;
        const more = data.truncated ? ` This node has ${data.edges.length} links or more; only ${data.edges.length} were loaded (expand by one link type to see others).` : "";
        say(`${ccms.counted(added, "new node")}${locked ? `, ${locked} restricted` : ""} · ${ccms.counted(cy.nodes().length, "node")}, ${ccms.counted(cy.edges().length, "link")} on screen.${more}`);
        return added;
      } catch (e) {
        say(e.status === 404 ? "That record does not exist or you may not see it." : `Could not expand: ${e.message}`);
        return 0;
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
      say(`Collapsed ${ccms.counted(gone.length, "node")} · ${cy.nodes().length} on screen.`);
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
      out.textContent = `Path of ${ccms.counted(res.distance, "link")}: ${names.join(" → ")}`;
    }

    function sharedSelectors() {
      cy.nodes().removeClass("shared");
      let count = 0;
      cy.nodes("[type = 'Phone'], [type = 'Address'], [type = 'BankAccount'], [type = 'CryptoWallet'], [type = 'PaymentHandle']").forEach((sel) => {
        const cases = new Set();
        sel.neighborhood("node").forEach((subject) => {
          subject.neighborhood("node[type = 'Case']").forEach((c) => cases.add(c.id()));
        });
        if (cases.size >= 2) { sel.addClass("shared"); count += 1; }
      });
      $("ex-shared-result").textContent = count ? `${ccms.counted(count, "phone, address or account node")} link subjects of different cases (outlined in amber).`
        : "No phone, address or account on screen links subjects of two cases. Expand the selectors' neighbours first.";
    }

    function download(name, blobOrUrl) {
      const url = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
      const a = ccms.el("a", { href: url, download: name });
      document.body.append(a); a.click(); a.remove();
      if (typeof blobOrUrl !== "string") setTimeout(() => URL.revokeObjectURL(url), 5000);
    }
    // A cell that would start a spreadsheet formula is written as text (OWASP, CSV injection).
    const csvCell = (v) => {
      let s = String(v === undefined || v === null ? "" : v);
      if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return `"${s.replace(/"/g, '""')}"`;
    };

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
    // Keyboard control of the canvas (it takes focus like any control; the keys are listed beside it).
    const canvas = $("cy");
    let walk = { from: null, index: -1 };
    function step(delta) {
      if (!state.selected) { const first = cy.nodes(":visible").first(); if (first.length) select(first); return; }
      const hub = walk.from && cy.getElementById(walk.from).length ? cy.getElementById(walk.from) : state.selected;
      const ring = hub.neighborhood("node:visible").sort((a, b) => collator.compare(a.data("label") || "", b.data("label") || ""));
      if (!ring.length) { say("This node has no visible neighbours; expand it first."); return; }
      walk = { from: hub.id(), index: (walk.from === hub.id() ? walk.index + delta + ring.length : (delta > 0 ? 0 : ring.length - 1)) % ring.length };
      const n = ring[walk.index];
      select(n);
      cy.center(n);
    }
    canvas.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const k = ev.key;
      const acts = {
        ArrowRight: () => step(1), ArrowDown: () => step(1), ArrowLeft: () => step(-1), ArrowUp: () => step(-1),
        Enter: () => { if (state.selected) { walk = { from: null, index: -1 }; say(`Selected ${state.selected.data("label")}; its neighbours are now under the arrow keys.`); } },
        e: () => $("ex-expand").click(), c: () => $("ex-collapse").click(), p: () => $("ex-pin").click(),
        h: () => $("ex-hide").click(), f: () => $("ex-fit").click(),
        "+": () => cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: { x: canvas.clientWidth / 2, y: canvas.clientHeight / 2 } }),
        "-": () => cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: { x: canvas.clientWidth / 2, y: canvas.clientHeight / 2 } }),
        Escape: () => { walk = { from: null, index: -1 }; select(null); },
      };
      if (acts[k]) { ev.preventDefault(); acts[k](); }
    });
    canvas.addEventListener("focus", () => { if (!state.selected && cy.nodes().length) step(1); });

    window.ccmsExplorer = { cy, state, expand, layout, applyFilters, select };
    if (root.dataset.start) expand(root.dataset.start, "");
  });
})();
