// Idle warning: shortly before the server-side idle timeout, offer to stay signed in.
// The server is the authority (its session expires on its own); this only warns.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (!idleSeconds) { return; }
  var warnBefore = Math.min(120, Math.floor(idleSeconds / 3));
  var banner = document.querySelector("[data-idle-warning]");
  var form = document.querySelector("[data-keep-alive-form]");
  var warnTimer = null;
  var endTimer = null;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (banner) { banner.hidden = true; }
    warnTimer = setTimeout(function () { if (banner) { banner.hidden = false; } }, (idleSeconds - warnBefore) * 1000);
    endTimer = setTimeout(function () {
      window.location.assign(body.getAttribute("data-sign-in-url"));
    }, idleSeconds * 1000);
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          if (response.ok) { schedule(); } else { window.location.assign(body.getAttribute("data-sign-in-url")); }
        });
    });
  }
  schedule();
})();
