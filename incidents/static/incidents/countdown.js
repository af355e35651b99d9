// Countdowns of the notices' deadlines: the page shows the time left when rendered; this
// keeps it current each minute, from the deadline in UTC (the server's clock decides).
(function () {
  "use strict";
  function text(seconds) {
    var late = seconds < 0;
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    var shown = days ? days + " d " + hours + " h" : hours ? hours + " h " + mins + " min" : mins + " min";
    return late ? "overdue by " + shown : shown;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var due = Date.parse(node.getAttribute("data-countdown"));
      if (!isNaN(due)) node.textContent = text((due - now) / 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });
})();
