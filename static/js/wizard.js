// Add wizard: nothing typed while a request is in flight is lost when its answer replaces the panel.
//
// A choice that changes which fields exist (a certificate file, `Attestation`, `Allocation policy`)
// posts the tab and the server re-renders the whole panel from what was posted. What the user types
// into another field after the request left would be overwritten by the answer. So the form's
// values are noted when a request leaves; when its answer is swapped in on the same tab, each field
// the user changed meanwhile gets the user's value back (unless the answer made it read-only or
// removed it, or it is a file input), and the focused field keeps the focus and the caret.
(function () {
  "use strict";
  if (window.portalWizard) return;
  window.portalWizard = true;

  const PANEL = "wizard-panel";
  const SKIPPED = new Set(["csrfmiddlewaretoken", "_tab", "_fields", "_nav"]);

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      const type = (el.type || "").toLowerCase();
      return el.name && !SKIPPED.has(el.name) && !["file", "submit", "button", "reset"].includes(type);
    });
  }

  // A field's identity across the swap: its name and, for names that repeat (checkboxes, radios),
  // its value or its position among the fields of that name.
  function keyOf(el, counts) {
    const type = (el.type || "").toLowerCase();
    if (type === "checkbox" || type === "radio") return el.name + "\u0000" + el.value;
    const n = counts[el.name] || 0;
    counts[el.name] = n + 1;
    return el.name + "\u0000#" + n;
  }

  function valueOf(el) {
    const type = (el.type || "").toLowerCase();
    if (type === "checkbox" || type === "radio") return el.checked;
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    }
    return el.value;
  }

  function snapshot(form) {
    const values = {};
    const counts = {};
    fields(form).forEach(function (el) {
      values[keyOf(el, counts)] = valueOf(el);
    });
    return values;
  }

  function tabOf(form) {
    const input = form && form.querySelector("input[name=_tab]");
    return input ? input.value : "";
  }

  let sent = null; // {tab, values} when the latest request left
  let typed = null; // {tab, values, focus} just before its answer is swapped in

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = document.getElementById("wizard-form");
    if (!form || !event.detail || !event.detail.target || event.detail.target.id !== PANEL) return;
    sent = { tab: tabOf(form), values: snapshot(form) };
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const form = document.getElementById("wizard-form");
    if (!form || !sent || !event.detail || !event.detail.target || event.detail.target.id !== PANEL) return;
    const now = snapshot(form);
    const changed = {};
    Object.keys(now).forEach(function (key) {
      if (JSON.stringify(now[key]) !== JSON.stringify(sent.values[key])) changed[key] = now[key];
    });
    const active = document.activeElement;
    let focus = null;
    if (active && active.form === form && active.name) {
      const counts = {};
      let key = null;
      fields(form).forEach(function (el) {
        const k = keyOf(el, counts);
        if (el === active) key = k;
      });
      focus = { key: key, id: active.id, start: null, end: null };
      try {
        focus.start = active.selectionStart;
        focus.end = active.selectionEnd;
      } catch (e) {
        // selection is not available on this kind of input
      }
    }
    typed = { tab: sent.tab, values: changed, focus: focus };
    sent = null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!typed || !event.detail || !event.detail.target || event.detail.target.id !== PANEL) return;
    const form = document.getElementById("wizard-form");
    const kept = typed;
    typed = null;
    if (!form || tabOf(form) !== kept.tab) return; // another tab: its fields are not these
    const counts = {};
    let focusTarget = null;
    fields(form).forEach(function (el) {
      const key = keyOf(el, counts);
      if (kept.focus && key === kept.focus.key) focusTarget = el;
      if (!(key in kept.values) || el.disabled || el.readOnly) return;
      const value = kept.values[key];
      const type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        el.checked = value;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) !== -1; });
      } else {
        el.value = value;
      }
    });
    if (kept.focus) {
      const el = focusTarget || (kept.focus.id && document.getElementById(kept.focus.id));
      if (el && document.activeElement !== el) el.focus();
      if (el && kept.focus.start !== null) {
        try {
          el.setSelectionRange(kept.focus.start, kept.focus.end);
        } catch (e) {
          // not a text field
        }
      }
    }
  });
})();
