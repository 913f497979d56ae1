// Uploads for forms marked data-upload: one XMLHttpRequest per file with a progress bar each, then the
// list on the page is refreshed in place. Without JavaScript the same form posts normally.
(function () {
  "use strict";

  var PARALLEL = 2;

  // A size as the pages write it (config/jinja2.py filesize): the page hands over its units, [factor, "%(size)s MiB"]
  // in its language (data-size-units); the number is in the page's language too, with at most one decimal.
  function formatSize(form, bytes) {
    var units;
    try {
      units = JSON.parse(form.dataset.sizeUnits || "[]");
    } catch (ignored) {
      units = [];
    }
    var unit = null;
    units.forEach(function (candidate) {
      if (bytes >= candidate[0]) unit = candidate;
    });
    if (!unit) unit = units[0];
    if (!unit) return "";
    var number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      maximumFractionDigits: unit[0] === 1 ? 0 : 1,
      useGrouping: false
    }).format(bytes / unit[0]);
    return unit[1].replace("%(size)s", number);
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function makeItem(list, file, sizeText) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "upload-size";
    size.textContent = sizeText;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    item.append(name, size, bar, status);
    list.prepend(item);
    return { item: item, bar: bar, status: status };
  }

  function finish(row, ok, text) {
    row.item.classList.add(ok ? "is-done" : "is-failed");
    row.bar.value = ok ? 100 : row.bar.value;
    row.status.textContent = text;
  }

  function errorFrom(xhr, fallback) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error) return body.error;
    } catch (ignored) {
      // Not JSON (a proxy's error page, a login redirect): say something general.
    }
    return fallback;
  }

  // The server's sentence when it stored the file under another name ("Report (2).docx"), else "Uploaded".
  function doneFrom(xhr, fallback) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.message) return body.message;
    } catch (ignored) {
      // An answer that is not JSON still means the file was stored.
    }
    return fallback;
  }

  function send(form, file, row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken(form));
      data.append("file", file, file.name);
      var comment = form.querySelector("[name=comment]");
      if (comment && comment.value) data.append("comment", comment.value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) row.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var ok = xhr.status === 201;
        finish(row, ok, ok ? doneFrom(xhr, form.dataset.done) : errorFrom(xhr, form.dataset.failed));
        resolve(ok);
      });
      xhr.addEventListener("error", function () {
        finish(row, false, form.dataset.failed);
        resolve(false);
      });
      xhr.send(data);
    });
  }

  // Fetch the page again and swap the list region, so the upload messages stay visible.
  function refreshList() {
    var region = document.querySelector("[data-list-region]");
    if (!region) return Promise.resolve();
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-list-region]");
        if (fresh) region.replaceWith(fresh);
        else window.location.reload();
      })
      .catch(function () {
        window.location.reload();
      });
  }

  function uploadAll(form, files) {
    var list = form.querySelector("[data-upload-list]");
    var limit = parseInt(form.dataset.maxSize, 10);
    var queue = [];
    Array.prototype.forEach.call(files, function (file) {
      var row = makeItem(list, file, formatSize(form, file.size));
      if (limit && file.size > limit) {
        finish(row, false, form.dataset.tooLarge.replace("{name}", file.name));
      } else {
        queue.push({ file: file, row: row });
      }
    });
    if (!queue.length) return;
    var stored = 0;
    function worker() {
      var next = queue.shift();
      if (!next) return Promise.resolve();
      return send(form, next.file, next.row).then(function (ok) {
        if (ok) stored += 1;
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < PARALLEL; i++) workers.push(worker());
    Promise.all(workers).then(function () {
      if (stored) {
        var comment = form.querySelector("[name=comment]");
        if (comment) comment.value = "";
        if (form.dataset.after === "reload") window.location.reload();
        else refreshList();
      }
    });
  }

  function enhance(form) {
    var input = form.querySelector("[data-upload-input]");
    if (!input) return;
    form.classList.add("is-enhanced");
    var single = !input.multiple;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.files.length) uploadAll(form, input.files);
      input.value = "";
    });
    // A multi-file drop zone uploads as soon as files are chosen; a single version waits for its comment.
    if (!single) {
      input.addEventListener("change", function () {
        if (input.files.length) uploadAll(form, input.files);
        input.value = "";
      });
    }

    var zone = form.querySelector("[data-dropzone]") || form;
    var depth = 0;
    zone.addEventListener("dragenter", function (event) {
      event.preventDefault();
      depth += 1;
      zone.classList.add("is-dragover");
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", function () {
      depth -= 1;
      if (depth <= 0) {
        depth = 0;
        zone.classList.remove("is-dragover");
      }
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      zone.classList.remove("is-dragover");
      var files = event.dataTransfer.files;
      if (!files.length) return;
      uploadAll(form, single ? [files[0]] : files);
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(enhance);

  // Files dropped anywhere on the page would make the browser navigate away to show them: send them to the
  // page's drop zone instead when there is one.
  window.addEventListener("dragover", function (event) {
    event.preventDefault();
  });
  window.addEventListener("drop", function (event) {
    if (event.target.closest && event.target.closest("form[data-upload]")) return;
    event.preventDefault();
    var zone = document.querySelector("form[data-upload] [data-dropzone]");
    if (zone && event.dataTransfer.files.length) uploadAll(zone.closest("form"), event.dataTransfer.files);
  });
})();
