// Starts the ONLYOFFICE editor from the signed config embedded in the page.
//
// api.js is loaded from here rather than by a <script> tag, so that a failure to load it (the Document
// Server is down or its address is wrong) is shown to the user instead of leaving a blank page.
//
// Features that answer editor events (history, rename, save as, ...) live in their own scripts, loaded after
// this one with `defer`; each registers its handlers with OnlyofficeEditorPage.on(name, handler) before the
// editor starts (on DOMContentLoaded, once every deferred script has run).
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
  var handlers = {};

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

  function request(method, path, body) {
    var options = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = shell.dataset.csrfToken;
      options.body = JSON.stringify(body);
    }
    return fetch(shell.dataset.editorBase + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || response.statusText);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  // The page's small API for feature scripts. Paths are relative to /onlyoffice/editor/<id>/.
  window.OnlyofficeEditorPage = {
    config: config,
    shell: shell,
    on: function (name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
    getJson: function (path) { return request("GET", path); },
    postJson: function (path, body) { return request("POST", path, body || {}); },
    showAlert: showAlert,
    // A renamed file: the tab title follows, and later unsaved-changes marks keep the new name.
    setTitle: function (title) {
      // A function replacement: "$&" in a file name must stay literal.
      baseTitle = baseTitle.replace(shell.dataset.title, function () { return title; });
      shell.dataset.title = title;
      document.title = baseTitle;
    },
    editor: function () { return window.docEditor; }
  };

  // The page holds what to say (the file, the way back, a download, and the address for staff only).
  function unreachable() {
    loading.hidden = true;
    document.getElementById("onlyoffice-unreachable").hidden = false;
  }

  function builtInHandlers() {
    var page = window.OnlyofficeEditorPage;
    page.on("onAppReady", function () { loading.hidden = true; });
    page.on("onDocumentStateChange", function (event) {
      // true: local edits not yet sent to the Document Server.
      document.title = (event.data ? "\u2022 " : "") + baseTitle;
    });
    page.on("onError", function (event) {
      var data = event.data || {};
      showAlert(shell.dataset.msgError, (data.errorDescription || "") + " (" + data.errorCode + ")");
    });
    page.on("onWarning", function (event) {
      var data = event.data || {};
      showAlert(shell.dataset.msgWarning, (data.warningDescription || "") + " (" + data.warningCode + ")");
    });
    if (shell.dataset.editUrl) {
      // Only offered to users who may edit: reopening without ?mode=view gives them a signed edit config.
      page.on("onRequestEditRights", function () { window.location.href = shell.dataset.editUrl; });
    }
  }

  function events() {
    // The DS shows some features (history, rename...) only when their event has a handler.
    var result = {};
    Object.keys(handlers).forEach(function (name) {
      result[name] = function (event) {
        handlers[name].forEach(function (handler) { handler(event, window.docEditor); });
      };
    });
    return result;
  }

  function start() {
    builtInHandlers();
    config.events = events();
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
  }

  // A deferred script runs with readyState already "interactive" but before DOMContentLoaded, and before the
  // feature scripts after it: starting now would leave their handlers out.
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
