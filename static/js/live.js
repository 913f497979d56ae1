// The live list: keeps the rows of the space page (and the header of the attachment page) current without a
// reload, by polling the small JSON endpoint named in data-live-rows (attachments.views.space_rows).
//
// It polls only while the tab is visible, backs off when the server fails, and stops for good once the answer
// says the user may no longer see the space (logged out, removed): polling on would only fill the logs.
(function () {
  "use strict";
  var INTERVAL_MS = 5000;
  var MAX_BACKOFF_MS = 60000;
  var root = document.querySelector("[data-live-rows]");
  if (!root || !window.fetch) return;
  var detail = root.hasAttribute("data-current-version");  // the attachment page: one header, no table
  var endpoint = root.getAttribute("data-live-rows");
  var delay = INTERVAL_MS;
  var timer = null;
  var stopped = false;
  var busy = false;

  function rows() {
    if (detail) return [root];
    return Array.prototype.slice.call(root.querySelectorAll("tr[data-attachment-id]"));
  }

  function rowIds() {
    return rows().map(function (row) { return row.getAttribute("data-attachment-id"); }).slice(0, 100);
  }

  function setText(row, selector, text) {
    var element = row.querySelector(selector);
    if (element && element.textContent !== text) element.textContent = text;
  }

  function updateTableRow(row, state) {
    setText(row, ".col-size", state.size_display);
    setText(row, ".col-version", "v" + state.current_version);
    setText(row, ".col-modified .who", state.updated_by);
    setText(row, ".col-modified time", state.updated_display);
    setText(row, ".mobile-meta", state.size_display + " \u00b7 v" + state.current_version + " \u00b7 " + state.updated_display);
    var time = row.querySelector(".col-modified time");
    if (time) time.setAttribute("datetime", state.updated_at);
  }

  function showReloadNotice() {
    if (document.querySelector("[data-live-notice]")) return;
    var notice = document.createElement("p");
    notice.className = "flash flash-warning";
    notice.setAttribute("role", "status");
    notice.setAttribute("data-live-notice", "");
    notice.appendChild(document.createTextNode(root.getAttribute("data-msg-new-version") + " "));
    var link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    link.textContent = root.getAttribute("data-msg-reload");
    notice.appendChild(link);
    root.parentNode.insertBefore(notice, root);
  }

  function apply(state) {
    var row = detail ? root : root.querySelector('tr[data-attachment-id="' + state.id + '"]');
    if (!row) return;
    var slot = row.querySelector("[data-row-statuses]");
    // The same macro as the page, rendered (and escaped) by our server. Compared with what we last set, since
    // the browser reformats innerHTML: replacing it every time would disturb screen readers and tooltips.
    if (slot && slot.liveHtml !== state.statuses_html) {
      slot.innerHTML = state.statuses_html;
      slot.liveHtml = state.statuses_html;
    }
    var version = String(state.current_version);
    if (row.getAttribute("data-current-version") === version) return;
    row.setAttribute("data-current-version", version);
    if (detail) showReloadNotice(); else updateTableRow(row, state);
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = null;
    if (!stopped && document.visibilityState === "visible") timer = window.setTimeout(poll, ms);
  }

  function stop() {
    stopped = true;
    window.clearTimeout(timer);
  }

  function poll() {
    var ids = rowIds();
    if (!ids.length || busy) return;
    busy = true;
    var url = endpoint + "?ids=" + ids.join(",");
    // A logged-out user is redirected to the login page: "manual" turns that into an answer we can stop on.
    fetch(url, {credentials: "same-origin", redirect: "manual", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.type === "opaqueredirect" || [401, 403, 404].indexOf(response.status) !== -1) {
          stop();
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data === null) return;
        (data.rows || []).forEach(apply);
        delay = INTERVAL_MS;
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      })
      .then(function () {
        busy = false;
        schedule(delay);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      // Catch up at once with whatever happened while the tab was hidden.
      schedule(0);
    } else {
      window.clearTimeout(timer);
      timer = null;
    }
  });

  schedule(INTERVAL_MS);
})();
