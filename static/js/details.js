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

  // --- The webhook URL's code= key: `Show` / `Hide` / `Copy` ----------------------------------------
  // The page shows the stored URL with its code= value(s) as `••••`. `Show` fetches the stored URL
  // from its own (signed-in, uncached) URL and puts each stored key where the field still reads
  // `••••` (the n-th code= parameter gets the n-th stored key, as the server's unmasking does), so
  // other edits in the field stay. `Hide` masks again the keys that are still the stored ones (a key
  // the user typed stays visible). `Copy` copies the field as it would be saved: masks filled in.
  const MASK = "\u2022\u2022\u2022\u2022";
  let webhookStored = null; // the stored URL once fetched (kept in memory only, never stored)

  function splitUrl(url) {
    const hash = url.indexOf("#");
    const base = hash === -1 ? url : url.slice(0, hash);
    const fragment = hash === -1 ? "" : url.slice(hash);
    const q = base.indexOf("?");
    if (q === -1) return { path: base, query: null, fragment: fragment };
    return { path: base.slice(0, q), query: base.slice(q + 1), fragment: fragment };
  }

  // Rewrite each code= value of `url`: replace(value, index) gives the new value.
  function mapCodes(url, replace) {
    const parts = splitUrl(url);
    if (parts.query === null) return url;
    let index = 0;
    const query = parts.query.split("&").map(function (part) {
      const eq = part.indexOf("=");
      if (eq === -1 || part.slice(0, eq).toLowerCase() !== "code") return part;
      const value = replace(part.slice(eq + 1), index++);
      return part.slice(0, eq + 1) + value;
    });
    return parts.path + "?" + query.join("&") + parts.fragment;
  }

  function storedCodes(stored) {
    const codes = [];
    mapCodes(stored, function (value) {
      codes.push(value);
      return value;
    });
    return codes;
  }

  // The server puts a stored key back only while the URL keeps its scheme, host, port and path
  // (webhook_urls.same_endpoint): Show and Copy follow the same rule, so an edit that points the URL
  // elsewhere never gets the key filled in; the key must be typed again for the new address.
  function sameEndpoint(url, other) {
    try {
      const a = new URL(url.trim());
      const b = new URL(other.trim());
      return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port && a.pathname === b.pathname;
    } catch (error) {
      return false;
    }
  }

  function revealWebhook(value, stored) {
    if (!sameEndpoint(value, stored)) return value;
    const codes = storedCodes(stored);
    return mapCodes(value, function (v, i) {
      return v === MASK && i < codes.length ? codes[i] : v;
    });
  }

  function concealWebhook(value, stored) {
    const codes = storedCodes(stored);
    return mapCodes(value, function (v, i) {
      return i < codes.length && v === codes[i] && v !== "" ? MASK : v;
    });
  }

  function fetchStored(url) {
    if (webhookStored !== null) return Promise.resolve(webhookStored);
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text().then(function (text) {
        webhookStored = text;
        return text;
      });
    });
  }

  function webhookInput() {
    return document.querySelector("#details-form input[name=webhook_url]");
  }

  function syncShowButton() {
    const button = document.querySelector("[data-webhook-show]");
    const input = webhookInput();
    if (!button || !input) return;
    const shown = webhookStored !== null && concealWebhook(input.value, webhookStored) !== input.value;
    button.textContent = shown ? "Hide" : "Show";
    button.setAttribute("aria-pressed", shown ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-webhook-show]");
    if (!button) return;
    const input = webhookInput();
    if (!input) return;
    fetchStored(button.getAttribute("data-webhook-show"))
      .then(function (stored) {
        const hide = button.getAttribute("aria-pressed") === "true";
        if (!hide && input.value.indexOf(MASK) !== -1 && !sameEndpoint(input.value, stored)) {
          if (window.portalClipboard) window.portalClipboard.flash(button, "Not shown: the URL points elsewhere");
          return;
        }
        input.value = hide ? concealWebhook(input.value, stored) : revealWebhook(input.value, stored);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        syncShowButton();
      })
      .catch(function () {
        if (window.portalClipboard) window.portalClipboard.flash(button, "Not shown");
      });
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-webhook-copy]");
    if (!button || !window.portalClipboard) return;
    const input = webhookInput();
    const clip = window.portalClipboard;
    fetchStored(button.getAttribute("data-webhook-copy"))
      .then(function (stored) {
        return clip.copyText(revealWebhook(input ? input.value : stored, stored));
      })
      .then(function () {
        button.setAttribute("data-copied", "true");
        clip.flash(button, "Copied");
        clip.announce("Copied to the clipboard");
      })
      .catch(function () {
        button.setAttribute("data-copied", "false");
        clip.flash(button, "Not copied");
        clip.announce("Could not copy to the clipboard");
      });
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
      } else if (name === "webhook_url" && webhookStored !== null) {
        values.push(concealWebhook(el.value, webhookStored)); // a shown stored key is never kept
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

    // A refused Save (someone else saved first) has one next step: `Open the current version`
    // (data-details-keep-changes) opens their version with the fields this user changed put back on
    // top. What the user changed is known only here, against the version the page was opened with,
    // so each Save keeps that difference (`changesKey`, merged over any earlier refused Save of the
    // same version); the link marks it to be carried; the next page of this enrollment applies it
    // only when so marked, and drops it in any case.
    const changesKey = "dps-portal:details-changes:" + form.getAttribute("action");
    function readChanges() {
      try {
        return JSON.parse(store.getItem(changesKey) || "null");
      } catch (e) {
        return null;
      }
    }
    function changedFields() {
      const earlier = readChanges();
      const changes = earlier && earlier.etag === form.dataset.etag ? earlier.changes : {};
      const state = formState(form);
      Object.keys(state).forEach(function (name) {
        if (JSON.stringify(state[name]) !== JSON.stringify(baseline[name])) changes[name] = state[name];
      });
      return changes;
    }
    form.addEventListener("submit", function () {
      store.setItem(changesKey, JSON.stringify({ etag: form.dataset.etag, changes: changedFields(), carry: false }));
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest("[data-details-keep-changes]")) return;
      store.setItem(changesKey, JSON.stringify({ etag: form.dataset.etag, changes: changedFields(), carry: true }));
    });
    let carried = null;
    if (!boundPage) {
      const kept = readChanges();
      store.removeItem(changesKey);
      if (kept && kept.carry && kept.etag !== form.dataset.etag && Object.keys(kept.changes || {}).length) {
        carried = kept.changes;
      }
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
    if (carried) {
      stored = Object.assign(stored || {}, carried);
      const text = note && note.querySelector("[data-carried-text]");
      if (text) text.textContent = text.getAttribute("data-carried-text");
    }
    if (boundPage) {
      save();
    } else if (stored) {
      if (applyState(form, stored) || carried) {
        if (note) note.hidden = false;
        if (carried) save();
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
      syncShowButton();
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
