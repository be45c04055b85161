// Decide approval items in place: post the form, then mark the row approved or returned without leaving the page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form.decide").forEach((form) => {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const button = ev.submitter;
        const data = new FormData(form);
        if (button && button.name) data.set(button.name, button.value);
        const out = form.querySelector(".outcome");
        const row = form.closest("tr");
        if (data.get("decision") === "returned" && !String(data.get("comment") || "").trim()) {
          out.textContent = "Say what must change before returning it.";
          form.querySelector("input[name=comment]").focus();
          return;
        }
        form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
        ccms.postForm(form.action, data).then((b) => {
          row.classList.add(data.get("decision") === "approved" ? "done-approved" : "done-returned");
          form.replaceChildren(ccms.el("span", { class: "outcome", role: "status", text: b.message }));
        }).catch((e) => {
          out.textContent = `Not done: ${e.message}`;
          form.querySelectorAll("button").forEach((x) => { x.disabled = false; });
        });
      });
    });
  });
})();
