// Row selection for tables with checkboxes (lists, registration records). Markup: a container
// `[data-select-rows]` holding row checkboxes `[data-row-select]`, an optional select-all checkbox
// `[data-select-all]` and buttons `[data-needs-selection]` (disabled until a row is checked).
// Listens on document, once per page, so htmx swaps need no re-initialising.
(function () {
  if (window.portalSelectRows) return;
  window.portalSelectRows = true;
  function sync(container) {
    const rows = container.querySelectorAll("[data-row-select]");
    const checked = container.querySelectorAll("[data-row-select]:checked").length;
    const all = container.querySelector("[data-select-all]");
    if (all) {
      all.checked = rows.length > 0 && checked === rows.length;
      all.indeterminate = checked > 0 && checked < rows.length;
    }
    container.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = checked === 0; });
  }
  document.addEventListener("change", function (event) {
    const container = event.target.closest("[data-select-rows]");
    if (!container) return;
    if (event.target.matches("[data-select-all]")) {
      container.querySelectorAll("[data-row-select]").forEach(function (c) { c.checked = event.target.checked; });
    }
    sync(container);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { document.querySelectorAll("[data-select-rows]").forEach(sync); });
  } else {
    document.querySelectorAll("[data-select-rows]").forEach(sync);
  }
  document.addEventListener("htmx:afterSettle", function () { document.querySelectorAll("[data-select-rows]").forEach(sync); });
})();
