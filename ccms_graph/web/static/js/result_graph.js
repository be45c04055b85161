// Draws a saved query's result graph (nodes and edges embedded in the page as JSON) with Cytoscape.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("result-graph");
    const src = document.getElementById("result-graph-data");
    if (!box || !src || typeof cytoscape === "undefined") return;
    const data = JSON.parse(src.textContent);
    const id = (x) => String(x.uid || x.id || x.element_id || "");
    const nodes = (data.nodes || []).map((n) => ({ group: "nodes", data: { ...n, id: id(n),
      label: n.locked ? "Restricted" : (n.caption || n.label || n.type || id(n)), type: n.type || (n.labels || [])[0] } }));
    const ids = new Set(nodes.map((n) => n.data.id));
    const edges = (data.edges || []).map((e, i) => ({ group: "edges", data: { id: `e${i}`, source: String(e.source || e.start || e.from),
      target: String(e.target || e.end || e.to), type: e.type } })).filter((e) => ids.has(e.data.source) && ids.has(e.data.target));
    const cy = cytoscape({ container: box, elements: [...nodes, ...edges], wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#1f6fb2", "text-valign": "bottom",
          "text-background-color": "#fff", "text-background-opacity": 0.8, width: 22, height: 22 } },
        { selector: "node[type = 'Phone']", style: { "background-color": "#c2185b", shape: "diamond" } },
        { selector: "node[type = 'Case']", style: { "background-color": "#b42318", shape: "round-rectangle" } },
        { selector: "node[type = 'Address']", style: { "background-color": "#2e7d32", shape: "triangle" } },
        { selector: "edge", style: { width: 1.5, "line-color": "#aab4be", label: "data(type)", "font-size": 8, "curve-style": "bezier",
          "target-arrow-shape": "triangle", "target-arrow-color": "#aab4be", "text-rotation": "autorotate" } },
      ],
      layout: { name: nodes.length > 300 ? "grid" : "cose", animate: false, padding: 20 } });
    window.ccmsResultGraph = cy;
  });
})();
