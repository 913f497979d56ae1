// The members page's "Add a member" field as a combobox: typing two letters or more asks the server
// (attachments.space_views.member_search) for people who are not members yet and lists them below the field.
// ArrowDown/ArrowUp move through the suggestions, Enter takes one, Escape closes the list. Taking one puts the
// person's username in the field, which the form submits as it would a username typed in full.
//
// Without this file the field still takes a username or an e-mail address. Texts come from the page
// (data-msg-*) or from the server's answer, so they are translated with the page.
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  var root = document.querySelector("[data-member-search]");
  if (!root || !window.fetch) return;
  var input = root.querySelector("input[name=username]");
  var list = root.querySelector("[role=listbox]");
  var status = root.querySelector("[data-member-search-status]");
  if (!input || !list || !status) return;
  var endpoint = root.getAttribute("data-member-search");
  var minLength = parseInt(root.getAttribute("data-min-length"), 10) || 2;
  var timer = null;
  var asked = 0;  // answers to older questions arrive late: only the newest one is shown
  var active = -1;

  // The suggestions open right under the field, above its help text: both go in a box of their own.
  var box = document.createElement("div");
  box.className = "combobox";
  input.parentNode.insertBefore(box, input);
  box.appendChild(input);
  box.appendChild(list);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function options() {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function choose(option) {
    input.value = option.getAttribute("data-username");
    close();
    input.focus();
  }

  function show(results, message) {
    list.textContent = "";
    results.forEach(function (person, i) {
      var option = document.createElement("li");
      option.id = list.id + "-" + i;
      option.className = "member-suggestion";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-username", person.username);
      var name = document.createElement("span");
      name.className = "who";
      name.textContent = person.name || person.username;
      option.appendChild(name);
      if (person.name) {
        var username = document.createElement("span");
        username.className = "muted small";
        username.textContent = person.username;
        option.appendChild(username);
      }
      list.appendChild(option);
    });
    status.textContent = message || "";
    active = -1;
    input.removeAttribute("aria-activedescendant");
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  function ask() {
    var query = input.value.trim();
    if (query.length < minLength) {
      asked += 1;
      show([], "");
      return;
    }
    var number = ++asked;
    var url = endpoint + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (answer) {
        if (number === asked) show(answer.results || [], answer.message);
      })
      .catch(function () {
        if (number === asked) show([], root.getAttribute("data-msg-failed"));
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) highlight(active + 1);
      else if (options().length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(0);
      } else {
        ask();
      }
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      // Takes the suggestion instead of submitting the form; a second Enter submits it.
      event.preventDefault();
      choose(options()[active]);
    } else if (event.key === "Escape" && open) {
      // Stops here: app.js would otherwise close an open menu elsewhere on the page.
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });

  input.addEventListener("blur", function () {
    close();
  });

  // mousedown, not click: a click would blur the field first, and the blur closes the list.
  list.addEventListener("mousedown", function (event) {
    var option = event.target.closest("[role=option]");
    if (!option) return;
    event.preventDefault();
    choose(option);
  });
})();
