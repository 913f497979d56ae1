// Answers editor events with this app's endpoints: save a copy, rename, insert an image, mentions.
//
// Loaded after editor.js (see its header). Editing features are offered only to a config in edit mode, and
// "Save copy as" only when the user may take a copy and has a space to save it in: the Document Server hides a
// feature's button when its event has no handler (protocol §1), so a viewer never sees buttons that would only
// be refused.
(function () {
  "use strict";
  var page = window.OnlyofficeEditorPage;
  if (!page) { return; }
  var config = page.config;
  // Whoever may change the document itself: commenters and reviewers open in "edit" mode too (their permissions say
  // what they may do there), but renaming, inserting the space's images and the rest are editors' things.
  var editing = Boolean(((config.document || {}).permissions || {}).edit);

  function byId(id) { return document.getElementById(id); }

  function showError(element, error, fallback) {
    element.textContent = (error && error.message) || fallback;
    element.hidden = false;
  }

  // --- Save a copy -------------------------------------------------------------------------------------------

  function saveAs(event) {
    var data = event.data || {};
    var dialog = byId("oo-saveas-dialog");
    var select = byId("oo-saveas-space");
    var error = byId("oo-saveas-error");
    var submit = byId("oo-saveas-submit");
    error.hidden = true;
    byId("oo-saveas-done").hidden = true;
    select.textContent = "";
    submit.disabled = true;
    dialog.showModal();
    page.getJson("spaces/").then(function (result) {
      result.spaces.forEach(function (space) {
        var option = document.createElement("option");
        option.value = String(space.id);
        option.textContent = space.name;
        option.selected = space.id === result.current;
        select.appendChild(option);
      });
      if (!result.spaces.length) { showError(error, null, dialog.dataset.msgNoSpace); return; }
      submit.disabled = false;
    }).catch(function (problem) { showError(error, problem, dialog.dataset.msgFailed); });
    submit.onclick = function () {
      submit.disabled = true;
      error.hidden = true;
      page.postJson("save-as/", {
        url: data.url, title: data.title, fileType: data.fileType, space_id: Number(select.value)
      }).then(function (copy) {
        byId("oo-saveas-name").textContent = dialog.dataset.msgSaved + " " + copy.title + ".";
        byId("oo-saveas-open").href = copy.url;
        byId("oo-saveas-done").hidden = false;
      }).catch(function (problem) {
        submit.disabled = false;
        showError(error, problem, dialog.dataset.msgFailed);
      });
    };
  }

  // --- Rename ------------------------------------------------------------------------------------------------

  function rename(event) {
    page.postJson("rename/", {title: event.data}).then(function (result) {
      page.setTitle(result.title);
    }).catch(function (problem) { page.showAlert(problem.message); });
  }

  function metaChange(event) {
    // Co-editors learn of a rename through the meta command (protocol §6).
    var data = event.data || {};
    if (typeof data.title === "string" && data.title) { page.setTitle(data.title); }
  }

  // --- Insert an image ---------------------------------------------------------------------------------------

  function insertImage(event, editor) {
    var command = (event.data || {}).c || "add";
    var dialog = byId("oo-image-dialog");
    var list = byId("oo-image-list");
    var error = byId("oo-image-error");
    list.textContent = "";
    error.hidden = true;
    byId("oo-image-empty").hidden = true;
    dialog.showModal();
    page.getJson("images/").then(function (result) {
      byId("oo-image-empty").hidden = result.images.length > 0;
      result.images.forEach(function (image) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-ghost";
        button.textContent = image.title;
        button.dataset.imageId = String(image.id);
        button.addEventListener("click", function () {
          page.getJson("images/" + image.id + "/?c=" + encodeURIComponent(command)).then(function (payload) {
            editor.insertImage(payload);
            dialog.close();
          }).catch(function (problem) { showError(error, problem, dialog.dataset.msgFailed); });
        });
        item.appendChild(button);
        list.appendChild(item);
      });
    }).catch(function (problem) { showError(error, problem, dialog.dataset.msgFailed); });
  }

  // --- Mentions ----------------------------------------------------------------------------------------------

  function requestUsers(event, editor) {
    var command = (event.data || {}).c || "mention";
    page.getJson("users/?c=" + encodeURIComponent(command)).then(function (result) {
      editor.setUsers(result);
    }).catch(function () { editor.setUsers({c: command, users: []}); });
  }

  function sendNotify(event) {
    var data = event.data || {};
    page.postJson("notify/", {emails: data.emails || [], message: data.message || "", actionLink: data.actionLink})
      .catch(function (problem) { page.showAlert(problem.message); });
  }

  // The page says whether a copy has anywhere to go (connector.events.can_save_copy): a viewer with no space to
  // add files to is not offered a dialog that could only say so.
  if (page.shell.dataset.saveAs === "true") { page.on("onRequestSaveAs", saveAs); }
  page.on("onMetaChange", metaChange);
  if (editing) {
    page.on("onRequestRename", rename);
    page.on("onRequestInsertImage", insertImage);
    page.on("onRequestUsers", requestUsers);
    page.on("onRequestSendNotify", sendNotify);
  }
})();
