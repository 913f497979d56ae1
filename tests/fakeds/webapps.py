"""Stand-ins for the Document Server's browser files: api.js and the editor page it frames."""

from __future__ import annotations

import json
from functools import cache

from .formats import all_document_formats

EDITOR_APPS = ("documenteditor", "spreadsheeteditor", "presentationeditor", "pdfeditor", "visioeditor")

_API_JS = r"""/* Fake ONLYOFFICE Docs api.js: enough of DocsAPI for tests, not the real editor. */
(function (window, document) {
  "use strict";

  var FORMATS = __FORMATS__;
  var APPS = {word: "documenteditor", cell: "spreadsheeteditor", slide: "presentationeditor",
              pdf: "pdfeditor", diagram: "visioeditor"};
  var LEGACY_TYPES = {text: "word", spreadsheet: "cell", presentation: "slide"};
  var METHODS = ["refreshHistory", "setHistoryData", "requestClose", "showMessage", "insertImage",
                 "setUsers", "downloadAs"];

  var script = document.currentScript;
  var scriptUrl = script ? script.src : "";
  var base = scriptUrl.replace(/\/web-apps\/apps\/api\/documents\/api\.js(\?.*)?$/, "");
  var baseOrigin = base ? new URL(base).origin : "*";

  window.__fakeDsCalls = window.__fakeDsCalls || [];

  function recordCall(method, args) {
    window.__fakeDsCalls.push({method: method, args: Array.prototype.slice.call(args)});
  }

  function extensionOf(name) {
    var match = /\.([A-Za-z0-9]+)$/.exec(name || "");
    return match ? match[1].toLowerCase() : "";
  }

  // Returns the document type, or a string starting with "!" that says why the config is refused.
  function checkConfig(config) {
    if (!config || typeof config !== "object") { return "!the config is missing"; }
    var doc = config.document;
    if (!doc || typeof doc !== "object") { return "!document is missing"; }
    if (typeof doc.url !== "string" || doc.url === "") { return "!document.url is missing"; }
    if (typeof doc.key !== "string") { return "!document.key must be a string"; }
    var fileType = typeof doc.fileType === "string" && doc.fileType ? doc.fileType.toLowerCase()
                                                                   : extensionOf(doc.title);
    if (!Object.prototype.hasOwnProperty.call(FORMATS, fileType)) { return "!unknown fileType: " + fileType; }
    var type = config.documentType;
    if (type === undefined || type === null || type === "") { return FORMATS[fileType]; }
    type = LEGACY_TYPES[type] || type;
    if (!Object.prototype.hasOwnProperty.call(APPS, type)) { return "!unknown documentType: " + type; }
    return type;
  }

  function withoutEvents(config) {
    var copy = {};
    Object.keys(config).forEach(function (name) {
      if (name !== "events") { copy[name] = config[name]; }
    });
    return JSON.parse(JSON.stringify(copy));
  }

  function DocEditor(placeholderId, config) {
    if (!(this instanceof DocEditor)) { return new DocEditor(placeholderId, config); }
    var editor = this;
    var events = (config && config.events) || {};
    var iframe = null;

    METHODS.forEach(function (method) {
      editor[method] = function () { recordCall(method, arguments); };
    });

    function onMessage(event) {
      if (!iframe || event.source !== iframe.contentWindow) { return; }
      var message = event.data;
      if (!message || message.frameEditorId !== placeholderId || typeof message.event !== "string") { return; }
      var handler = events[message.event];
      if (typeof handler === "function") { handler({target: editor, data: message.data}); }
    }

    editor.destroyEditor = function () {
      recordCall("destroyEditor", arguments);
      window.removeEventListener("message", onMessage);
      if (iframe && iframe.parentNode) {
        var placeholder = document.createElement("div");
        placeholder.id = placeholderId;
        iframe.parentNode.replaceChild(placeholder, iframe);
      }
      iframe = null;
    };

    var type = checkConfig(config);
    if (type.charAt(0) === "!") {
      window.alert("The editor cannot open this document: " + type.substring(1));
      return;
    }
    var placeholder = document.getElementById(placeholderId);
    if (!placeholder) {
      window.alert("The editor cannot open this document: no element with id " + placeholderId);
      return;
    }

    var plain = withoutEvents(config);
    plain.documentType = type;
    iframe = document.createElement("iframe");
    iframe.id = placeholderId;
    iframe.name = "frameEditor";
    iframe.setAttribute("allowfullscreen", "");
    iframe.setAttribute("frameborder", "0");
    // As the real api.js 9.3 does: an empty inline handler, which the host page's CSP must allow (script-src-attr).
    iframe.setAttribute("onmousewheel", "");
    iframe.style.width = config.width || "100%";
    iframe.style.height = config.height || "100%";
    iframe.src = base + "/web-apps/apps/" + APPS[type] + "/main/index.html?frameEditorId=" +
      encodeURIComponent(placeholderId) + "&parentOrigin=" + encodeURIComponent(window.location.origin);
    iframe.addEventListener("load", function () {
      if (iframe) {
        iframe.contentWindow.postMessage({type: "init", frameEditorId: placeholderId, config: plain}, baseOrigin);
      }
    });
    window.addEventListener("message", onMessage);
    placeholder.parentNode.replaceChild(iframe, placeholder);
  }

  window.DocsAPI = window.DocsAPI || {};
  window.DocsAPI.DocEditor = DocEditor;
  DocEditor.version = function () { return "__VERSION__"; };
})(window, document);
"""

_EDITOR_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Fake ONLYOFFICE editor</title></head>
<body>
<h1 id="fake-ds-title">Loading…</h1>
<p id="fake-ds-mode"></p>
<script>
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var frameEditorId = params.get("frameEditorId");
  var parentOrigin = params.get("parentOrigin") || "*";
  window.__fakeDsConfig = null;

  function send(name, data) {
    window.parent.postMessage({frameEditorId: frameEditorId, event: name, data: data}, parentOrigin);
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.source !== window.parent || !message || message.type !== "init") { return; }
    if (message.frameEditorId !== frameEditorId || window.__fakeDsConfig) { return; }
    var config = message.config;
    var mode = (config.editorConfig && config.editorConfig.mode) || "edit";
    var title = (config.document && config.document.title) || "Unnamed";
    window.__fakeDsConfig = config;
    document.title = title;
    document.getElementById("fake-ds-title").textContent = title;
    document.getElementById("fake-ds-mode").textContent = mode;
    send("onAppReady");
    send("onInfo", {mode: mode});
    send("onDocumentReady");
  });
})();
</script>
</body>
</html>
"""


@cache
def api_js(version: str) -> bytes:
    script = _API_JS.replace("__FORMATS__", json.dumps(all_document_formats(), sort_keys=True))
    return script.replace("__VERSION__", version).encode("utf-8")


def editor_html() -> bytes:
    return _EDITOR_HTML.encode("utf-8")
