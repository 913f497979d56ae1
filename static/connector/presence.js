// The editor page's presence bar: "Also editing: Bob", and "Saving…" while a save is being stored.
//
// Polls editor/<id>/presence/ every 10 s while the tab is visible; the server never lists the current user.
// Stops for good when the answer says the user may no longer see the file, backs off on other failures.
(function () {
  "use strict";
  var INTERVAL_MS = 10000;
  var MAX_BACKOFF_MS = 120000;
  var page = window.OnlyofficeEditorPage;
  var bar = document.getElementById("onlyoffice-presence");
  if (!page || !bar) return;
  var delay = INTERVAL_MS;
  var timer = null;
  var stopped = false;

  function render(data) {
    var parts = [];
    if (data.editors.length) parts.push(bar.dataset.msgAlso + " " + data.editors.join(", "));
    if (data.saving) parts.push(bar.dataset.msgSaving);
    var text = parts.join(" \u00b7 ");
    if (bar.textContent !== text) bar.textContent = text;
    bar.hidden = !text;
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = null;
    if (!stopped && document.visibilityState === "visible") timer = window.setTimeout(poll, ms);
  }

  function poll() {
    page.getJson("presence/").then(function (data) {
      // A logged-out user gets the login page (HTML, parsed as {}): nothing to show, and no point in polling.
      if (!data || !Array.isArray(data.editors)) { stopped = true; return; }
      render(data);
      delay = INTERVAL_MS;
    }).catch(function (error) {
      if ([401, 403, 404].indexOf(error.status) !== -1) stopped = true;
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }).then(function () { schedule(delay); });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") schedule(0);
    else { window.clearTimeout(timer); timer = null; }
  });

  schedule(0);
})();
