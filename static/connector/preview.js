// The file page's preview (connector/views/preview.py): the document in ONLYOFFICE's embedded viewer, read-only.
//
// api.js is loaded from here, as on the editor page, so that a Document Server that is down or slow shows the
// fallback (open in ONLYOFFICE, download) within seconds instead of an empty frame. The file page that frames this
// page never waits for the Document Server: it loads nothing of it.
(function () {
  "use strict";
  var shell = document.getElementById("preview-shell");
  var configElement = document.getElementById("onlyoffice-config");
  if (!shell || !configElement) { return; }
  var loading = document.getElementById("preview-loading");
  var fallback = document.getElementById("preview-fallback");
  var frame = document.getElementById("preview-frame");
  // api.js, then the viewer's onAppReady, within this time; a viewer ready later still replaces the fallback.
  var READY_TIMEOUT_MS = 8000;
  var timer = null;
  var failed = false;

  function showFallback() {
    window.clearTimeout(timer);
    loading.hidden = true;
    frame.hidden = true;
    fallback.hidden = false;
  }

  function ready() {
    window.clearTimeout(timer);
    if (failed) { return; }
    loading.hidden = true;
    fallback.hidden = true;
    frame.hidden = false;
  }

  // The Document Server could not open the document (download failed, bad token...): nothing to wait for.
  function fail() {
    failed = true;
    showFallback();
  }

  function start() {
    var config = JSON.parse(configElement.textContent);
    config.events = {onAppReady: ready, onError: fail};
    timer = window.setTimeout(showFallback, READY_TIMEOUT_MS);
    var script = document.createElement("script");
    script.src = shell.dataset.apiUrl;
    script.onload = function () {
      if (!window.DocsAPI || !window.DocsAPI.DocEditor) { fail(); return; }
      try {
        window.docEditor = new window.DocsAPI.DocEditor("preview-editor", config);
      } catch (error) {
        fail();
      }
    };
    script.onerror = fail;
    document.head.appendChild(script);
  }

  start();
})();
