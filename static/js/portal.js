// DPS Portal: copy buttons and re-initialising Bootstrap widgets after htmx swaps.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const target = document.querySelector(button.getAttribute("data-copy-target"));
    if (!target) return;
    const text = target.value !== undefined ? target.value : target.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text);
    } else {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.setAttribute("data-copied", "true");
  });
})();
