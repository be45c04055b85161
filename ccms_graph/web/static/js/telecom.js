// The TLS tab's calls-per-day chart (Chart.js), drawn from the figures the page carries in #tls-chart's
// data attribute (the same figures are in the table below it). No inline script or style: the CSP allows neither.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("tls-chart");
    if (!root || !window.Chart) return;
    const data = JSON.parse(root.dataset.chart);
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    new Chart(document.getElementById("chart-calls-per-day"), {
      type: "bar",
      data: { labels: data.days, datasets: [{ label: "Calls", data: data.calls, backgroundColor: "#0b5cad" }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  });
})();
