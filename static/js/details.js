// Details pages: client-side tab switching (the three edit tabs are one form, so unsaved edits
// survive a switch), `Hide` of a shown key, and unsaved edits that survive a reload of the page
// (issue 4, "Nothing lost"). `Copy` of a key is portal.js's data-copy-url.
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

  // `Hide` of a shown key: the masked field (kept in the shown field's <template>) takes its place,
  // so the key leaves the page; its `Show` (an htmx button) is wired up and gets the focus.
  document.addEventListener("click", function (event) {
    const hide = event.target.closest("[data-key-hide]");
    if (!hide) return;
    const field = document.getElementById(hide.getAttribute("data-key-hide"));
    const masked = field && field.querySelector("template[data-key-masked]");
    if (!masked) return;
    const fresh = masked.content.firstElementChild.cloneNode(true);
    field.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    const show = fresh.querySelector("button[hx-get]");
    if (show) show.focus();
  });

  // --- Unsaved edits across a reload -----------------------------------------------------------
  // Every change to the edit form is kept in sessionStorage under the enrollment's URL and the etag
  // the page was opened with (`data-unsaved-key`). A reload restores it and says so, with a way to
  // discard it. A successful Save changes the etag, so the next page drops the old entry; Delete
  // drops it; edits kept for an older etag (someone else saved since) are dropped, not restored.
  //
  // Only the form's own named fields are kept: the symmetric keys, endorsement key and certificates
  // are not form fields on this page (read-only, fetched on Show/Copy), so no key material is ever
  // stored. The `Webhook URL` shows its `code=` key masked (••••); a code the user types is kept
  // like any other edit, and only here: sessionStorage belongs to this browser tab (not shared with
  // other tabs, gone when the tab closes), never localStorage, never a cookie or the server.
  const SKIPPED = new Set(["csrfmiddlewaretoken", "etag", "_tab", "_nav"]);

  function formState(form) {
    const state = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      const name = el.name;
      if (!name || SKIPPED.has(name) || el.disabled) return;
      const type = (el.type || "").toLowerCase();
      if (type === "file" || type === "submit" || type === "button" || type === "reset") return;
      const values = state[name] || (state[name] = []);
      if (type === "checkbox" || type === "radio") {
        if (el.checked) values.push(el.value);
      } else if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) {
          if (o.selected) values.push(o.value);
        });
      } else {
        values.push(el.value);
      }
    });
    return state;
  }

  function sameState(a, b) {
    const keys = Object.keys(a).sort();
    if (keys.join("\n") !== Object.keys(b).sort().join("\n")) return false;
    return keys.every(function (k) {
      return JSON.stringify(a[k]) === JSON.stringify(b[k]);
    });
  }

  // Put `state` into the form's fields; returns true if any field changed.
  function applyState(form, state) {
    let changed = false;
    const seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      const name = el.name;
      if (!name || SKIPPED.has(name) || el.disabled || !(name in state)) return;
      const values = state[name];
      const type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        const on = values.indexOf(el.value) !== -1;
        if (el.checked !== on) {
          el.checked = on;
          changed = true;
        }
      } else if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) {
          const on = values.indexOf(o.value) !== -1;
          if (o.selected !== on) {
            o.selected = on;
            changed = true;
          }
        });
      } else if (type !== "file" && type !== "submit" && type !== "button") {
        const i = seen[name] || 0;
        seen[name] = i + 1;
        if (i < values.length && el.value !== values[i]) {
          el.value = values[i];
          changed = true;
        }
      }
    });
    return changed;
  }

  function storage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null; // storage disabled: edits still survive tab switches, just not a reload
    }
  }

  function setUp() {
    const form = document.getElementById("details-form");
    const store = storage();
    if (!form || !store || !form.dataset.unsavedKey) return;
    const prefix = form.dataset.unsavedKey;
    const key = prefix + form.dataset.etag;
    const note = document.getElementById("details-restored");
    const baseline = formState(form); // what the page was rendered with
    const boundPage = form.dataset.unsavedEdits === "true"; // a refused Save: the page shows the edits

    for (let i = store.length - 1; i >= 0; i--) {
      const k = store.key(i);
      if (k && k.indexOf(prefix) === 0 && k !== key) store.removeItem(k);
    }

    function save() {
      const state = formState(form);
      if (!boundPage && sameState(state, baseline)) store.removeItem(key);
      else store.setItem(key, JSON.stringify(state));
    }

    let pending = null; // restored values for fields that appear only after a re-render
    let stored = null;
    try {
      stored = JSON.parse(store.getItem(key) || "null");
    } catch (e) {
      store.removeItem(key);
    }
    if (boundPage) {
      save();
    } else if (stored) {
      if (applyState(form, stored)) {
        if (note) note.hidden = false;
        pending = stored;
        // A restored choice that changes which fields exist (allocation policy) re-renders the form.
        const select = form.querySelector("select[name=allocation_policy]");
        const policy = stored.allocation_policy;
        if (select && policy && baseline.allocation_policy && policy[0] !== baseline.allocation_policy[0]) {
          setTimeout(function () {
            select.dispatchEvent(new Event("change", { bubbles: true }));
          }, 0);
        } else {
          pending = null;
        }
      } else {
        store.removeItem(key);
      }
    }

    form.addEventListener("input", save);
    form.addEventListener("change", save);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (!event.detail || !event.detail.target || event.detail.target.id !== "details-form-body") return;
      if (pending) {
        applyState(form, pending);
        pending = null;
      }
      save();
    });
    document.addEventListener("submit", function (event) {
      if (event.target && event.target.id === "delete-form") store.removeItem(key);
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest("[data-details-discard]")) return;
      store.removeItem(key);
      form.removeEventListener("input", save);
      form.removeEventListener("change", save);
      window.location.assign(window.location.href); // a GET: the stored values again
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
