// DPS Portal: Copy buttons for secrets and one-time codes, and the Yes/No confirm dialog.
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

  // Say something to screen readers through the page's polite live region (base.html #portal-live).
  function announce(text) {
    let region = document.getElementById("portal-live");
    if (!region) {
      region = document.createElement("div");
      region.id = "portal-live";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // The button's text says what happened for a moment, then it gets its name (`Copy`) back.
  function flash(button, text) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = text;
    window.clearTimeout(button._portalRestore);
    button._portalRestore = window.setTimeout(function () {
      button.textContent = button.dataset.label;
    }, 1500);
  }

  // For page scripts (details.js): the same clipboard, button flash and announcement.
  window.portalClipboard = { copyText: copyText, flash: flash, announce: announce };

  // `Copy` of a secret: the page holds only a masked value; the secret is fetched from its own
  // (signed-in, uncached) URL when the button is pressed, then put on the clipboard.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-url]");
    if (!button) return;
    fetch(button.getAttribute("data-copy-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(copyText)
      .then(function () {
        button.setAttribute("data-copied", "true");
        flash(button, "Copied");
        announce("Copied to the clipboard");
      })
      .catch(function () {
        button.setAttribute("data-copied", "false");
        flash(button, "Not copied");
        announce("Could not copy to the clipboard");
      });
  });

  // `Copy` of a value already in the page (e.g. a verification code shown once): data-copy-from
  // names the input whose value goes to the clipboard.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-from]");
    if (!button) return;
    const source = document.getElementById(button.getAttribute("data-copy-from"));
    Promise.resolve(source ? source.value : Promise.reject(new Error("no source")))
      .then(copyText)
      .then(function () {
        button.setAttribute("data-copied", "true");
        flash(button, "Copied");
        announce("Copied to the clipboard");
      })
      .catch(function () {
        button.setAttribute("data-copied", "false");
        flash(button, "Not copied");
        announce("Could not copy to the clipboard");
      });
  });

  // Confirm dialog: a submit button with data-confirm asks first; `Yes` submits its form.
  // data-confirm-checkbox="<field name>" with data-confirm-checkbox-label="<label>" adds an unchecked
  // checkbox to the dialog; checked at `Yes`, the form posts `<field name>=on` (e.g. a group's
  // `Also delete its registration records`).
  let pending = null;
  function checkboxFor(trigger) {
    const option = document.getElementById("confirm-dialog-option");
    const box = document.getElementById("confirm-dialog-checkbox");
    const name = trigger.getAttribute("data-confirm-checkbox");
    if (!option || !box) return;
    option.hidden = !name;
    box.checked = false;
    if (name) {
      document.getElementById("confirm-dialog-checkbox-label").textContent =
        trigger.getAttribute("data-confirm-checkbox-label") || name;
    }
  }
  function applyCheckbox(trigger) {
    const name = trigger.getAttribute("data-confirm-checkbox");
    const form = trigger.form;
    if (!name || !form) return;
    let field = form.querySelector('input[type=hidden][data-confirm-field="' + name + '"]');
    const box = document.getElementById("confirm-dialog-checkbox");
    if (box && box.checked) {
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        field.value = "on";
        field.setAttribute("data-confirm-field", name);
        form.appendChild(field);
      }
    } else if (field) {
      field.remove();
    }
  }
  document.addEventListener("click", function (event) {
    const trigger = event.target.closest("[data-confirm]");
    if (!trigger || trigger.dataset.confirmed === "true") return;
    event.preventDefault();
    const dialog = document.getElementById("confirm-dialog");
    document.getElementById("confirm-dialog-question").textContent = trigger.getAttribute("data-confirm");
    checkboxFor(trigger);
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
      applyCheckbox(trigger);
      if (trigger.form && trigger.form.requestSubmit) {
        trigger.form.requestSubmit(trigger);
      } else {
        trigger.click();
      }
      delete trigger.dataset.confirmed;
    }
  });
})();
