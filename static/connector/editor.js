// Starts the ONLYOFFICE editor from the signed config embedded in the page.
// api.js is loaded from here rather than by a <script> tag, so that a failure to load it (the Document
// Server is down or its address is wrong) is shown to the user instead of leaving a blank page.
(function () {
  "use strict";
  var shell = document.getElementById("onlyoffice-shell");
  var alertBox = document.getElementById("onlyoffice-alert");
  var loading = document.getElementById("onlyoffice-loading");
  var configElement = document.getElementById("onlyoffice-config");
  if (!shell || !configElement) { return; }
  var config = JSON.parse(configElement.textContent);
  var baseTitle = document.title;
  var LOAD_TIMEOUT_MS = 20000;

  function showAlert(message, detail) {
    loading.hidden = true;
    alertBox.hidden = false;
    alertBox.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = message;
    alertBox.appendChild(strong);
    if (detail) {
      var p = document.createElement("p");
      p.textContent = detail;
      alertBox.appendChild(p);
    }
  }

  function unreachable() {
    showAlert(shell.dataset.msgUnreachable, shell.dataset.msgCheck + " " + shell.dataset.apiUrl);
  }

  config.events = {
    onAppReady: function () { loading.hidden = true; },
    onDocumentStateChange: function (event) {
      // true: local edits not yet sent to the Document Server.
      document.title = (event.data ? "\u2022 " : "") + baseTitle;
    },
    onError: function (event) {
      var data = event.data || {};
      showAlert(shell.dataset.msgError, (data.errorDescription || "") + " (" + data.errorCode + ")");
    },
    onWarning: function (event) {
      var data = event.data || {};
      showAlert(shell.dataset.msgWarning, (data.warningDescription || "") + " (" + data.warningCode + ")");
    }
  };
  if (shell.dataset.editUrl) {
    // Only offered to users who may edit: reopening without ?mode=view gives them a signed edit config.
    config.events.onRequestEditRights = function () { window.location.href = shell.dataset.editUrl; };
  }

  var timer = window.setTimeout(unreachable, LOAD_TIMEOUT_MS);
  var script = document.createElement("script");
  script.src = shell.dataset.apiUrl;
  script.onload = function () {
    window.clearTimeout(timer);
    if (!window.DocsAPI || !window.DocsAPI.DocEditor) { unreachable(); return; }
    try {
      window.docEditor = new window.DocsAPI.DocEditor("onlyoffice-editor", config);
    } catch (error) {
      showAlert(shell.dataset.msgError, String(error));
    }
  };
  script.onerror = function () { window.clearTimeout(timer); unreachable(); };
  document.head.appendChild(script);
})();
