// Small behaviours shared by every page. The pages work without this file; it makes their menus behave as menus:
// inside the screen, and usable from the keyboard.
(function () {
  "use strict";

  // <details class="menu"> stays open until toggled again: close the others, and close on Escape or a click outside.
  // With the keyboard, a menu works as a menu button does (below): Enter, Space or ArrowDown open it at its first
  // entry, the arrows move, Escape closes it back onto its button, Tab leaves it.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("toggle", function (event) {
    var target = event.target;
    if (target.matches && target.matches("details.menu") && target.open) {
      closeMenus(target);
      place(target);
    }
  }, true);

  // Space kept between an open menu and the edge of the screen, in px.
  var EDGE = 8;

  // An open menu's panel, kept inside the viewport wherever its button sits (a row's menu on a phone opened past
  // the left edge): shifted sideways, and opened upwards when it does not fit below but does above.
  function place(menu) {
    var panel = menu.querySelector(".menu-panel");
    if (!panel) return;
    panel.style.transform = "";
    panel.classList.remove("menu-panel-up");
    var width = document.documentElement.clientWidth;
    var box = panel.getBoundingClientRect();
    var shift = 0;
    if (box.right > width - EDGE) shift = width - EDGE - box.right;
    if (box.left + shift < EDGE) shift = EDGE - box.left;
    if (shift) panel.style.transform = "translateX(" + Math.round(shift) + "px)";
    var button = menu.querySelector("summary").getBoundingClientRect();
    if (box.bottom > window.innerHeight - EDGE && button.top - box.height - EDGE > 0) {
      panel.classList.add("menu-panel-up");
    }
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("details.menu[open]").forEach(place);
  });

  // The entries of a menu a key can reach: its links and buttons, in order, skipping hidden and disabled ones.
  function entries(menu) {
    return Array.prototype.filter.call(menu.querySelectorAll(".menu-panel .menu-item"), function (entry) {
      return !entry.disabled && entry.getClientRects().length > 0;
    });
  }

  // Focus the entry at ``index``, counted round: -1 is the last, one past the last is the first.
  function focusEntry(menu, index) {
    var list = entries(menu);
    if (list.length) list[((index % list.length) + list.length) % list.length].focus();
  }

  // Opens the menu, placed before it is first drawn, and focuses the entry at ``index`` (none when null).
  function openMenu(menu, index) {
    if (!menu.open) {
      menu.open = true;
      closeMenus(menu);
      place(menu);
    }
    if (index !== null) focusEntry(menu, index);
  }

  function closeMenu(menu) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }

  // The menu button pattern: on the button these keys open the menu at an entry (-1: the last); Enter and Space
  // close it again when it is open.
  var ON_BUTTON = {Enter: 0, " ": 0, ArrowDown: 0, ArrowUp: -1};
  var TOGGLES = {Enter: true, " ": true};

  // Keys on an entry of an open menu; each answers whether it replaces the browser's own action.
  var IN_MENU = {
    ArrowDown: function (menu, index) { focusEntry(menu, index + 1); return true; },
    ArrowUp: function (menu, index) { focusEntry(menu, index < 0 ? -1 : index - 1); return true; },
    Home: function (menu) { focusEntry(menu, 0); return true; },
    End: function (menu) { focusEntry(menu, -1); return true; },
    Escape: function (menu) { closeMenu(menu); return true; },
    // Tab leaves: the menu closes with the focus on its button, from where the browser's Tab moves it on.
    Tab: function (menu) { closeMenu(menu); return false; }
  };

  function onButtonKey(event, menu) {
    if (event.key === "Escape") {
      if (menu.open) closeMenu(menu);
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(ON_BUTTON, event.key)) return;
    // The summary would toggle the menu itself (on Enter now, on Space when it is released): this does instead.
    event.preventDefault();
    if (menu.open && TOGGLES[event.key]) closeMenu(menu);
    else openMenu(menu, ON_BUTTON[event.key]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || !event.target.closest) return;
    var summary = event.target.closest("details.menu > summary");
    if (summary) {
      onButtonKey(event, summary.parentNode);
      return;
    }
    var menu = event.target.closest("details.menu[open]");
    var action = menu && Object.prototype.hasOwnProperty.call(IN_MENU, event.key) ? IN_MENU[event.key] : null;
    if (action) {
      if (action(menu, entries(menu).indexOf(event.target))) event.preventDefault();
      return;
    }
    if (event.key !== "Escape") return;
    // Escape anywhere else closes whichever menu is open.
    var open = document.querySelector("details.menu[open]");
    if (open) closeMenu(open);
  });

  // Space on a menu's button clicks it when released: keydown above has already opened or closed the menu.
  document.addEventListener("keyup", function (event) {
    if (event.key === " " && event.target.closest && event.target.closest("details.menu > summary")) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var summary = event.target.closest("details.menu > summary");
    if (summary && !summary.parentNode.open) {
      // Opened here rather than by the summary (whose toggle event comes later), so that it is placed at once.
      event.preventDefault();
      openMenu(summary.parentNode, null);
    }
    if (!event.target.closest("details.menu")) closeMenus(null);
  });

  // <a href="/help/…" data-dialog="ID">: opens the page's <dialog id="ID"> as a modal instead of following the link,
  // which stays the way to the same help without this script, and for a click that asks for a new tab. The dialog
  // closes itself: its <form method="dialog"> button, Escape; and here, a click on the backdrop around it.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-dialog]");
    if (opener) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (!dialog || typeof dialog.showModal !== "function") return;
      event.preventDefault();
      dialog.showModal();
      return;
    }
    // The dialog's padding belongs to its body (.dialog-body): a click on the element itself is on the backdrop.
    if (event.target.matches && event.target.matches("dialog.dialog[open]")) event.target.close();
  });

  // img.fthumb (a file's first page in place of its type icon) and img.template-thumb (a template's picture on
  // "New document"): one whose picture is gone from storage (files restored from an older backup) answers 404. Its
  // type icon then takes its place, as when there is none: the page names the kind in data-kind
  // (config/jinja2.py, file_kind), the icons are in its sprite (templates/_sprite.html).
  var SVG = "http://www.w3.org/2000/svg";
  var PICTURES = "img.fthumb, img.template-thumb";

  function showIcon(picture) {
    var kind = picture.dataset.kind || "generic";
    var icon = document.createElementNS(SVG, "svg");
    icon.classList.add("ficon", "ft-" + kind);
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var use = document.createElementNS(SVG, "use");
    use.setAttribute("href", "#ft-" + kind);
    icon.appendChild(use);
    if (picture.matches("img.template-thumb")) {
      // As the page draws a template without a picture: the icon in the picture's box.
      var box = document.createElement("span");
      box.classList.add("template-thumb", "template-icon");
      box.appendChild(icon);
      icon = box;
    }
    picture.replaceWith(icon);
  }

  // Error events do not bubble: caught on their way down. One that failed before this deferred script ran is found
  // by its state: done loading, with no picture.
  document.addEventListener("error", function (event) {
    if (event.target.matches && event.target.matches(PICTURES)) showIcon(event.target);
  }, true);
  document.querySelectorAll(PICTURES).forEach(function (picture) {
    if (picture.complete && picture.naturalWidth === 0) showIcon(picture);
  });

  // <button data-copy="TEXT" hidden>: copies TEXT in one click (a share link just made), then says so on the button
  // (data-copied) and to screen readers (the nearest [data-copy-status]) for a moment. Hidden until this script shows
  // it: without it the text stays selectable in its field ([data-copy-source]). Where the clipboard API is missing
  // (a page served over plain http), or refuses, the field's text is selected for the keyboard, with a note saying so
  // (data-copy-failed). The field and the note are the button's nearest [data-copy-box].
  var COPIED_FOR_MS = 2500;

  document.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
    button.hidden = false;
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error());
  }

  // Tells screen readers what happened; a failure is shown to everyone, since they now have to act.
  function copyNote(button, message, visible) {
    var box = button.closest("[data-copy-box]") || button.parentNode;
    var status = box.querySelector("[data-copy-status]");
    if (status) {
      status.textContent = message;
      status.classList.toggle("visually-hidden", !visible);
    }
    return box;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var label = button.querySelector("[data-copy-label]") || button;
    if (!button.hasAttribute("data-copy-idle")) button.setAttribute("data-copy-idle", label.textContent);
    copyText(button.getAttribute("data-copy")).then(function () {
      label.textContent = button.getAttribute("data-copied");
      copyNote(button, button.getAttribute("data-copied"), false);
      button.setAttribute("data-copy-done", "");
      window.clearTimeout(button.copyTimer);
      button.copyTimer = window.setTimeout(function () {
        label.textContent = button.getAttribute("data-copy-idle");
        button.removeAttribute("data-copy-done");
      }, COPIED_FOR_MS);
    }, function () {
      var box = copyNote(button, button.getAttribute("data-copy-failed"), true);
      var source = box.querySelector("[data-copy-source]");
      if (source) {
        source.focus();
        source.select();
      }
    });
  });
})();
