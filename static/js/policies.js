// Shared access policies page: `Copy` fetches the full connection string only when pressed
// (the page itself holds masked values), then puts it on the clipboard.
(function () {
  "use strict";
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
    const button = event.target.closest("[data-policy-copy]");
    if (!button) return;
    fetch(button.getAttribute("data-policy-copy"), { credentials: "same-origin", cache: "no-store" })
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
