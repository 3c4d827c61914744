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

  // Confirm dialog: a submit button with data-confirm asks first; `Yes` submits its form.
  let pending = null;
  document.addEventListener("click", function (event) {
    const trigger = event.target.closest("[data-confirm]");
    if (!trigger || trigger.dataset.confirmed === "true") return;
    event.preventDefault();
    const dialog = document.getElementById("confirm-dialog");
    document.getElementById("confirm-dialog-question").textContent = trigger.getAttribute("data-confirm");
    pending = trigger;
    dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    const dialog = document.getElementById("confirm-dialog");
    if (!dialog) return;
    if (event.target.id === "confirm-dialog-no") {
      pending = null;
      dialog.close();
    } else if (event.target.id === "confirm-dialog-yes" && pending) {
      const trigger = pending;
      pending = null;
      dialog.close();
      trigger.dataset.confirmed = "true";
      if (trigger.form && trigger.form.requestSubmit) {
        trigger.form.requestSubmit(trigger);
      } else {
        trigger.click();
      }
      delete trigger.dataset.confirmed;
    }
  });
})();
