// Long downloads (exports) stream with a progress bar and a byte count instead of a silent wait.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("a[data-download]").forEach((link) => {
      const bar = document.getElementById(`${link.id}-progress`);
      const status = document.getElementById(`${link.id}-status`);
      link.addEventListener("click", async (ev) => {
        ev.preventDefault();
        bar.hidden = false; bar.removeAttribute("value");
        status.textContent = "Preparing the export…";
        try {
          const r = await fetch(link.href, { credentials: "same-origin" });
          if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || r.statusText);
          const total = Number(r.headers.get("Content-Length")) || 0;
          const reader = r.body.getReader();
          const chunks = []; let got = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value); got += value.length;
            if (total) { bar.max = total; bar.value = got; }
            status.textContent = `Received ${(got / 1024).toFixed(1)} KB${total ? ` of ${(total / 1024).toFixed(1)} KB` : ""}…`;
          }
          const url = URL.createObjectURL(new Blob(chunks, { type: r.headers.get("Content-Type") || "text/csv" }));
          const a = ccms.el("a", { href: url, download: (link.href.split("/").pop() || "export").split("?")[0] });
          document.body.append(a); a.click(); a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 5000);
          bar.max = 1; bar.value = 1;
          status.textContent = `Export ready (${(got / 1024).toFixed(1)} KB).`;
        } catch (e) {
          bar.hidden = true;
          status.textContent = `Export failed: ${e.message}`;
        }
      });
    });
  });
})();
