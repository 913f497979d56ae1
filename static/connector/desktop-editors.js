// ONLYOFFICE Desktop Editors' "Connect to cloud" (connector/desktop_editors.py, docs/desktop-editors.md).
//
// Inside the app (window.AscDesktopEditor), every page a signed-in user sees tells it who that is ("portal:login",
// which the app asks of every page after the login): it lists the site among its connected clouds. The landing
// page then goes on to the home page. Logging out tells the app too ("portal:logout"). In a browser this file
// does nothing.
(function () {
  "use strict";
  var app = window.AscDesktopEditor;
  var element = document.getElementById("desktop-editors-login");
  if (!app || typeof app.execCommand !== "function" || !element) return;
  var login = JSON.parse(element.textContent);

  app.execCommand("portal:login", JSON.stringify(login));

  var landing = document.getElementById("desktop-editors-landing");
  if (landing) window.location.replace(landing.dataset.next);

  var logout = document.getElementById("logout-form");
  if (!logout) return;
  logout.addEventListener("submit", function (event) {
    event.preventDefault();
    // The server ends the session first: on portal:logout the app clears the site's cookies and closes its tab,
    // which would cut the form's request short and leave the session open.
    window.fetch(logout.action, {method: "POST", body: new FormData(logout), credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        app.execCommand("portal:logout", JSON.stringify({domain: login.domain}));
        window.location.assign(response.url);
      })
      .catch(function () {
        // The form as it is, without this handler (submit() fires no submit event): the page says what went wrong.
        logout.submit();
      });
  });
})();
