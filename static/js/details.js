// Details pages: client-side tab switching (the three edit tabs are one form, so unsaved edits
// survive a switch). `Copy` of a key is portal.js's data-copy-url.
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
})();
