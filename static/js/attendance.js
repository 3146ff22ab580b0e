// The attendance page: each row is a small form that htmx posts on every change. The server
// answers with the row: saved, or with its field messages (400, 409: swapped in like a success).
// A save that gets no usable answer (network down, 5xx, 403) is flagged on the row and the row
// is left as the user set it, so "Save" tries again. No inline scripts: the CSP allows files only.
(function () {
  "use strict";

  function rowOf(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("[data-attendance-row]") : null;
  }

  function say(row, attribute) {
    var state = row.querySelector("[data-row-state]");
    if (state && state.getAttribute(attribute)) {
      state.textContent = state.getAttribute(attribute);
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = rowOf(event);
    if (!row) {
      return;
    }
    row.classList.remove("attendance-row--failed");
    row.classList.add("attendance-row--saving");
    row.removeAttribute("data-save-failed");
    say(row, "data-saving-text");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var row = rowOf(event);
    if (row) {
      row.classList.remove("attendance-row--saving");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = rowOf(event);
    if (!row) {
      return;
    }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 400 || status === 409) {
      event.detail.shouldSwap = true; // the row with its messages, the user's choice kept
      event.detail.isError = false;
    }
    // Anything but a row (the sign-in page after the session expired, followed through its
    // redirect) must not replace the row: nothing was saved.
    var body = String(event.detail.serverResponse || "");
    if (event.detail.shouldSwap && body.indexOf("data-attendance-row") === -1) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      flag(row, "data-expired-text");
    }
  });

  function flag(row, attribute) {
    row.classList.remove("attendance-row--saving");
    row.classList.add("attendance-row--failed");
    row.setAttribute("data-save-failed", "true");
    say(row, attribute);
  }

  function failed(event) {
    var row = rowOf(event);
    if (row) {
      flag(row, "data-failed-text");
    }
  }

  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
