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
      if ((w.flagged || []).length) parts.push(` with ${w.flagged.join(", ")} kept as written and flagged`);
      return parts.join(";");
    }
    function why(w) {  // what was wrong with each field or entry, as the template shows it
      const found = Object.entries(w.problems || {});
      return found.length ? [" ", ccms.el("span", { class: "muted", text: `(${found.map(([k, v]) => `${k}: ${v}`).join("; ")})` })] : [];
    }
    const line = (n) => ccms.el("span", { class: "kind", text: `Line ${n}` });
    const record = (uid) => uid ? ccms.el("a", { href: `/records/${encodeURIComponent(uid)}`, text: uid })
      : ccms.el("span", { class: "muted", text: "you may no longer read" });
    function fill(id, items, job) {
      $(id).replaceChildren(...(items.length ? items : [ccms.el("li", { class: "muted", text: job.state === "running" ? "None so far." : "None." })]));
    }
    function problems(job) {
      fill("im-problems", [
        ...job.refused.map((r) => ccms.el("li", {}, line(r.line), ` refused: ${r.reason}`)),
        ...job.warnings.map((w) => ccms.el("li", {}, line(w.line), ` loaded${warned(w)}`, ...why(w))),
      ], job);
    }
    function met(job) {  // the lines that met stored records, as the page's template lists them
      const settled = (m) => m.sub_record_of ? [", filed as a sub-record of ", record(m.sub_record_of)]
        : m.separate_reason ? [`, kept separate: ${m.separate_reason}`] : [];
      fill("im-met", job.hit_lines.map((m) => ccms.el("li", {}, line(m.line), m.ref ? ` (${m.ref})` : "", ": new record ",
        record(m.uid), ...settled(m), ccms.el("ul", { class: "items hits" }, ...m.hits.map(ccms.hit)))), job);
      $("im-met-note").textContent = job.hit_lines_total > job.hit_lines.length
        ? `The first ${job.hit_lines.length} of ${job.hit_lines_total} lines that met records; the counts above are exact, and ccms-graph import writes every line to its hits file.` : "";
    }
    function show(job) {
      const bar = $("im-progress");
      bar.max = Math.max(job.total, 1);
      bar.value = job.state === "done" ? bar.max : job.lines;
      $("im-created").textContent = job.created;
      $("im-refused").textContent = job.refused.length;
      $("im-warnings").textContent = job.warnings.length;
      $("im-hits").firstChild.textContent = `${job.hits} `;
      $("im-hits-on").textContent = `on ${ccms.counted(job.records_with_hits, "record")}; their owners were told`;
      $("im-status").textContent = job.state === "running" ? `${job.lines} of ${ccms.counted(job.total, "line")} read, ${ccms.counted(job.created, "record")} created…`
        : job.state === "done" ? `Done: ${ccms.counted(job.created, "record")} created from ${ccms.counted(job.lines, "line")}.` : `Failed: ${job.error}`;
      problems(job);
      met(job);
      box.dataset.state = job.state;
    }
    function poll() {
      ccms.getJSON(box.dataset.poll).then((job) => { show(job); if (job.state === "running") setTimeout(poll, 1000); })
        .catch((e) => { $("im-status").textContent = `Progress unavailable: ${e.message}`; setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  });
})();
