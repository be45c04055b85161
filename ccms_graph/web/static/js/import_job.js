// An import job's page: poll its progress once a second until it is done, updating the bar and the counts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("import-job");
    if (!box || box.dataset.state !== "running") return;
    const $ = (id) => document.getElementById(id);
    function warned(w) {  // as the page's template words it
      const parts = [];
      if ((w.dropped || []).length) parts.push(` without ${w.dropped.join(", ")}`);
      if ((w.unverified || []).length) parts.push(` with ${w.unverified.join(", ")} kept as unverified`);
      return parts.join(";");
    }
    function problems(job) {
      const items = [
        ...job.refused.map((r) => ccms.el("li", {}, ccms.el("span", { class: "kind", text: `Line ${r.line}` }), ` refused: ${r.reason}`)),
        ...job.warnings.map((w) => ccms.el("li", {}, ccms.el("span", { class: "kind", text: `Line ${w.line}` }), ` loaded${warned(w)}`)),
      ];
      $("im-problems").replaceChildren(...(items.length ? items : [ccms.el("li", { class: "muted", text: job.state === "running" ? "None so far." : "None." })]));
    }
    function show(job) {
      const bar = $("im-progress");
      bar.max = Math.max(job.total, 1);
      bar.value = job.state === "done" ? bar.max : job.lines;
      $("im-created").textContent = job.created;
      $("im-refused").textContent = job.refused.length;
      $("im-warnings").textContent = job.warnings.length;
      $("im-hits").firstChild.textContent = `${job.hits} `;
      $("im-status").textContent = job.state === "running" ? `${job.lines} of ${job.total} lines read, ${job.created} records created…`
        : job.state === "done" ? `Done: ${job.created} records created from ${job.lines} lines.` : `Failed: ${job.error}`;
      problems(job);
      box.dataset.state = job.state;
    }
    function poll() {
      ccms.getJSON(box.dataset.poll).then((job) => { show(job); if (job.state === "running") setTimeout(poll, 1000); })
        .catch((e) => { $("im-status").textContent = `Progress unavailable: ${e.message}`; setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  });
})();
