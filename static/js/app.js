// Small progressive enhancements. No inline scripts: the page's CSP only allows files from here.
(function () {
  "use strict";

  // Remember the browser's time zone so pages can show "your time" next to venue time.
  try {
    // IANA names are letters, digits, "_", "+", "-" and "/": sent as they are, since the
    // server does not URL-decode cookies ("Europe%2FParis" would name no zone).
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && document.cookie.indexOf("tz=" + zone) === -1) {
      var secure = window.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" + secure;
    }
  } catch (error) {
    // Very old browsers: the server falls back to the site's default zone.
  }

  // "Remove" on a block row of the session form. Rows left out of the POST are ignored by the
  // server (an empty formset row), so removing the element is enough.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var row = button.closest(".block-row");
    var list = row && row.parentElement;
    if (!row) {
      return;
    }
    row.remove();
    var add = document.querySelector("[data-add-row]");
    var focusTarget = (list && list.querySelector(".block-row:last-child input")) || add;
    if (focusTarget) {
      focusTarget.focus();
    }
  });

  // Move focus to an error summary or check report when one appears, so it is announced.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  });
})();
