// Agent workspace: small helpers around htmx's in-place reveal. Every page works without
// this file (forms post and the page is rendered again); it only saves reloads and keeps
// keyboard focus where the change happened.
(function () {
  "use strict";

  // htmx leaves 4xx responses unswapped. A refused reveal (no reason, too many reveals)
  // answers with the field's row and the message, which belongs on the page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var requested = event.detail.requestConfig && event.detail.requestConfig.path;
    // A redirect (signed out meanwhile) must take the whole page, not one row of it.
    if (xhr.responseURL && requested &&
        new URL(xhr.responseURL).pathname !== new URL(requested, window.location.href).pathname) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
      return;
    }
    if (xhr.status === 400 || xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Anything else that failed (403, 404, 5xx): say so in place instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (!form || !form.appendChild || form.querySelector("[data-request-failed]")) { return; }
    var note = document.createElement("p");
    note.className = "field-error";
    note.setAttribute("role", "alert");
    note.setAttribute("data-request-failed", "");
    note.textContent = "That did not work (" + event.detail.xhr.status + "). Reload the page and try again.";
    form.appendChild(note);
  });

  // After a swap, move focus to what changed, so keyboard and screen-reader users follow it.
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("[data-swap-focus]");
    if (target) {
      target.removeAttribute("data-swap-focus");
      target.focus();
    }
  });

  // Opening a Reveal panel puts the cursor in its reason box.
  document.addEventListener("toggle", function (event) {
    var panel = event.target;
    if (panel instanceof HTMLDetailsElement && panel.open && panel.classList.contains("reveal")) {
      var input = panel.querySelector("input[name=reason]");
      if (input) { input.focus(); }
    }
  }, true);
})();
