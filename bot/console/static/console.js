// Live updates for the console: re-fetch small JSON endpoints every few seconds.
// No third-party code; the HTML comes from our own templates, escaped on the server.
(function () {
  "use strict";
  var EVERY_MS = 4000;

  function poll(element, onData) {
    var url = element.getAttribute("data-poll");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { onData(data); } })
        .catch(function () { /* offline for a moment: try again next tick */ })
        .finally(function () { setTimeout(tick, EVERY_MS); });
    }
    setTimeout(tick, EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var rows = document.getElementById("queue-rows");
    if (rows) {
      poll(rows, function (data) {
        rows.innerHTML = data.html;
        var count = document.getElementById("queue-count");
        if (count) { count.textContent = data.open + (count.getAttribute("data-suffix") || ""); }
      });
    }
    var transcript = document.getElementById("transcript");
    if (transcript) {
      var seen = transcript.children.length;
      poll(transcript, function (data) {
        if (data.count !== seen) {
          seen = data.count;
          transcript.innerHTML = data.html;
          transcript.scrollTop = transcript.scrollHeight;
        }
      });
    }
  });
})();
