// The statistics dashboard's charts (Chart.js), drawn from the figures the page carries in #dashboard's data
// attributes; a click on a bar or point opens the cases behind it (the page's drill-down), and each chart
// downloads as PNG. No inline script or style: the CSP allows neither.
(function () {
  "use strict";
  const COLOURS = { cases_opened: "#0b5cad", cases_closed: "#6e7781", arrests: "#b42318", charges: "#e8833a",
    seizures: "#1a7f37", seized_value_usd: "#8250df", deconfliction_hits: "#bf8700" };
  const PALETTE = ["#0b5cad", "#1a7f37", "#b42318", "#8250df", "#bf8700", "#0a7d86", "#6e7781", "#e8833a"];
  // A PNG with a white background instead of a transparent one.
  const paper = {
    id: "paper",
    beforeDraw(chart) {
      const { ctx } = chart;
      ctx.save(); ctx.globalCompositeOperation = "destination-over"; ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, chart.width, chart.height); ctx.restore();
    },
  };

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("dashboard");
    if (!root || !window.Chart) return;
    const figures = JSON.parse(root.dataset.figures);
    const labels = JSON.parse(root.dataset.labels);
    const drillable = JSON.parse(root.dataset.drillable);
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

    // Open the cases behind a figure: the page again, with the metric (and month or office) added.
    const drill = (metric, extra) => {
      if (!drillable.includes(metric)) return;
      const url = new URL(root.dataset.page, window.location.href);
      url.searchParams.set("metric", metric);
      for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
      url.hash = "drill";
      window.location.assign(url.toString());
    };
    const series = (metrics, rows) => metrics.map((m) => ({
      label: labels[m], metric: m, data: rows.map((r) => r[m]), backgroundColor: COLOURS[m], borderColor: COLOURS[m],
    }));
    const onClick = (keyOf) => (ev, elements, chart) => {
      if (!elements.length) return;
      const { datasetIndex, index } = elements[0];
      drill(chart.data.datasets[datasetIndex].metric, keyOf(index));
    };
    const counts = ["cases_opened", "cases_closed", "arrests", "seizures"];
    const months = Object.keys(figures.by_month);
    const offices = Object.keys(figures.by_office).sort();
    const categories = Object.keys(figures.seized_by_category).sort();
    const charts = {
      month: new Chart(document.getElementById("chart-month"), {
        type: "bar", plugins: [paper],
        data: { labels: months, datasets: series(counts, months.map((m) => figures.by_month[m])) },
        options: { onClick: onClick((i) => ({ month: months[i] })), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }),
      office: new Chart(document.getElementById("chart-office"), {
        type: "bar", plugins: [paper],
        data: { labels: offices, datasets: series(counts, offices.map((o) => figures.by_office[o])) },
        options: { onClick: onClick((i) => ({ office: offices[i] })), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }),
      category: new Chart(document.getElementById("chart-category"), {
        type: "bar", plugins: [paper],
        data: { labels: categories.map((c) => c.replace(/_/g, " ")),
          datasets: [{ label: labels.seized_value_usd, data: categories.map((c) => figures.seized_by_category[c].value_usd),
            backgroundColor: categories.map((_, i) => PALETTE[i % PALETTE.length]) }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
      }),
      trend: new Chart(document.getElementById("chart-trend"), {
        type: "line", plugins: [paper],
        data: { labels: figures.trend.map((r) => `FY${r.fiscal_year}`),
          datasets: series([...counts, "deconfliction_hits"], figures.trend) },
        options: { onClick: onClick((i) => ({ fy: figures.trend[i].fiscal_year })),
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }),
    };

    document.querySelectorAll("button[data-png]").forEach((button) => {
      button.addEventListener("click", () => {
        const a = ccms.el("a", { href: charts[button.dataset.png].toBase64Image("image/png", 1),
          download: button.dataset.filename });
        document.body.append(a); a.click(); a.remove();
      });
    });
  });
})();
