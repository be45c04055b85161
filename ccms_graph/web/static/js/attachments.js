// Attachment uploads: several files in one request, with a progress bar (XMLHttpRequest upload progress).
// The server judges every file by its content and answers JSON: the stored files, or each refusal by name.
(function () {
  "use strict";
  function setup(form) {
    const input = form.querySelector("input[type=file]");
    const bar = form.querySelector("progress");
    const status = form.querySelector("[role=status]");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!input.files.length) { status.textContent = "Choose at least one file."; return; }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        bar.hidden = false;
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = `Uploading ${input.files.length} file(s): ${bar.value}%`;
      });
      xhr.addEventListener("load", () => {
        button.disabled = false;
        let body = {};
        try { body = JSON.parse(xhr.responseText || "{}"); } catch (e) { body = {}; }
        if (xhr.status === 201) {
          status.textContent = body.message || "Uploaded.";
          window.location.reload();
          return;
        }
        bar.hidden = true;
        const problems = body.errors ? Object.values(body.errors).join("; ") : (body.detail || `upload refused (${xhr.status})`);
        status.textContent = `Not uploaded: ${problems}`;
        status.classList.add("field-error");
      });
      xhr.addEventListener("error", () => { button.disabled = false; status.textContent = "The upload failed: the server could not be reached."; });
      button.disabled = true;
      status.classList.remove("field-error");
      xhr.send(new FormData(form));
    });
  }
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("form.upload-form").forEach(setup));
})();
