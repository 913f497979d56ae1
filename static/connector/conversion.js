// Keeps the conversion progress page up to date: polls its status URL every second and reloads the page
// once the job has finished, so the server renders the result (or the error and "Try again").
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) and has a "Refresh" link.
(function () {
  "use strict";
  var panel = document.querySelector("[data-status-url]");
  if (!panel) { return; }
  var bar = document.getElementById("conversion-progress");
  var message = document.getElementById("conversion-message");
  var refresh = panel.querySelector("[data-conversion-refresh]");
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 10000;
  var delay = INTERVAL_MS;

  if (refresh && refresh.parentElement) { refresh.parentElement.hidden = true; }

  function show(status) {
    if (status.percent > 0) {
      bar.value = status.percent;
      bar.textContent = status.percent + " %";
    } else {
      bar.removeAttribute("value"); // indeterminate until the Document Server reports progress
    }
    if (message.textContent !== status.message) { message.textContent = status.message; }
    panel.dataset.conversionState = status.state;
  }

  function poll() {
    fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        delay = INTERVAL_MS;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting: keep trying, less often; the page itself still works.
        delay = Math.min(delay * 2, MAX_INTERVAL_MS);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
