// The browser's step of "Save and check": load api.js from the public Document Server URL, as the editor
// page will, and say whether it worked. Only the browser can test this: the public URL must be reachable
// from users' machines, not from the server, and mixed content or a proxy only shows up here.
(function () {
  "use strict";
  var box = document.getElementById("browser-check");
  if (!box || !box.dataset.apiUrl) { return; }
  var apiUrl = box.dataset.apiUrl;
  var label = box.querySelector("[data-role=label]");
  var message = box.querySelector("[data-role=message]");
  var LOAD_TIMEOUT_MS = 15000;
  var finished = false;

  function report(passed, text) {
    if (finished) { return; }
    finished = true;
    box.dataset.outcome = passed ? "pass" : "fail";
    box.classList.add(passed ? "flash-success" : "flash-error");
    label.textContent = passed ? box.dataset.labelPass : box.dataset.labelFail;
    message.textContent = text;
    var use = box.querySelector("svg use");
    if (use && passed) { use.setAttribute("href", "#i-check"); }
  }

  // Browsers refuse an http script on an https page without saying so to the page: name the cause first.
  if (window.location.protocol === "https:" && /^http:/i.test(apiUrl)) {
    report(false, box.dataset.msgMixed + " " + apiUrl);
    return;
  }

  var timer = window.setTimeout(function () {
    report(false, box.dataset.msgFail + " " + apiUrl);
  }, LOAD_TIMEOUT_MS);
  var script = document.createElement("script");
  script.src = apiUrl;
  script.onload = function () {
    window.clearTimeout(timer);
    if (window.DocsAPI && window.DocsAPI.DocEditor) {
      report(true, box.dataset.msgPass);
    } else {
      report(false, box.dataset.msgApi + " " + apiUrl);
    }
  };
  script.onerror = function () {
    window.clearTimeout(timer);
    report(false, box.dataset.msgFail + " " + apiUrl);
  };
  document.head.appendChild(script);
})();
