// Details pages: client-side tab switching (the three edit tabs are one form, so unsaved edits
// survive a switch), and `Copy` of a symmetric key, fetched from its own URL only when pressed.
(function () {
  "use strict";
  if (window.portalDetails) return;
  window.portalDetails = true;

  document.addEventListener("click", function (event) {
    const tab = event.target.closest("[data-details-tab]");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (t) {
      const on = t === tab;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
      const panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    const input = document.querySelector("#details-form input[name=_tab]");
    if (input) input.value = tab.getAttribute("data-details-tab");
    history.replaceState(history.state, "", tab.href);
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return Promise.resolve();
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-key-copy]");
    if (!button) return;
    fetch(button.getAttribute("data-key-copy"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(copyText)
      .then(function () {
        button.setAttribute("data-copied", "true");
        button.setAttribute("title", "Copied");
      })
      .catch(function () {
        button.setAttribute("data-copied", "false");
      });
  });
})();
