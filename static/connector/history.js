// Version history inside the editor: answers the editor's history events from /onlyoffice/editor/<id>/history/...
//
// Registering a handler is what makes the Document Server show the matching button (Version History,
// Restore), so Restore is registered only on pages that may edit; the server checks the role again.
(function () {
  "use strict";
  var page = window.OnlyofficeEditorPage;
  if (!page) { return; }

  function message(error) {
    return (error && error.message) || String(error);
  }

  function showHistory(editor) {
    return function (data) { editor.refreshHistory(data); };
  }

  function historyFailed(editor) {
    return function (error) { editor.refreshHistory({error: message(error)}); };
  }

  page.on("onRequestHistory", function (event, editor) {
    page.getJson("history/").then(showHistory(editor), historyFailed(editor));
  });

  page.on("onRequestHistoryData", function (event, editor) {
    var version = event.data;
    page.getJson("history-data/?version=" + encodeURIComponent(version)).then(
      function (data) { editor.setHistoryData(data); },
      function (error) { editor.setHistoryData({error: message(error), version: version}); }
    );
  });

  if (page.shell.dataset.canEdit) {
    page.on("onRequestRestore", function (event, editor) {
      // Only the number counts: the server restores its own copy, never a URL the page hands over.
      var version = event.data && event.data.version;
      page.postJson("restore/", {version: version}).then(showHistory(editor), historyFailed(editor));
    });
  }

  page.on("onRequestHistoryClose", function () {
    // The editor leaves history mode by starting afresh, with the key of what is now current.
    document.location.reload();
  });
})();
