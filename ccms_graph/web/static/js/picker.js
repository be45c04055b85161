// Record pickers: type a few words, choose a record from a keyboard-navigable list (fills a hidden uid input).
(function () {
  "use strict";
  const lookupUrl = "/ui/lookup";
  function setup(box) {
    const input = box.querySelector(".picker-input");
    const value = box.querySelector(".picker-value");
    const list = box.querySelector(".picker-results");
    let timer = null, active = -1, items = [];
    function choose(item) {
      value.value = item.uid;
      input.value = `${item.caption} (${item.type})`;
      list.replaceChildren();
      box.dispatchEvent(new CustomEvent("picked", { detail: item, bubbles: true }));
    }
    function render() {
      list.replaceChildren(...items.map((it, i) => {
        const li = ccms.el("li", { role: "option", id: `${input.id}-opt-${i}`, "aria-selected": i === active ? "true" : "false",
          class: i === active ? "active" : "" }, ccms.el("span", { class: `tchip t-${it.type}`, text: it.type }), " ",
          it.type === "Case" ? `${it.case_number || ""} ${it.caption}` : it.caption);
        li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(it); });
        return li;
      }));
      input.setAttribute("aria-activedescendant", active >= 0 ? `${input.id}-opt-${active}` : "");
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.addEventListener("input", () => {
      value.value = "";
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) { items = []; render(); return; }
      timer = setTimeout(() => {
        ccms.getJSON(`${lookupUrl}?q=${encodeURIComponent(q)}`).then((b) => { items = b.results || []; active = items.length ? 0 : -1; render(); })
          .catch(() => { items = []; render(); });
      }, 300);
    });
    input.addEventListener("keydown", (ev) => {
      if (!items.length) return;
      if (ev.key === "ArrowDown") { active = (active + 1) % items.length; render(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { active = (active - 1 + items.length) % items.length; render(); ev.preventDefault(); }
      else if (ev.key === "Enter" && active >= 0) { choose(items[active]); ev.preventDefault(); }
      else if (ev.key === "Escape") { items = []; render(); }
    });
  }
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-picker]").forEach(setup));
})();
