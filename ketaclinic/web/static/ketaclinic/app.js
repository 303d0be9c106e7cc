// ketaclinic page behaviour. No inline scripts (CSP): everything here is loaded from our own origin.

// The staff menu on a phone: the links fold behind the Menu button (the CSS folds them only at phone width).
(function () {
  "use strict";
  var toggle = document.querySelector(".nav-toggle");
  if (!toggle) { return; }
  var bar = toggle.closest(".topbar");
  bar.classList.add("nav-folds");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = bar.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

(function () {
  "use strict";
  var body = document.body;
  var timeoutS = parseInt(body.getAttribute("data-idle-timeout-s") || "0", 10);
  var loginUrl = body.getAttribute("data-login-url");
  var keepaliveUrl = body.getAttribute("data-keepalive-url");
  if (!(timeoutS > 0 && loginUrl)) { return; }

  // Idle timeout (security.md H2): the server ends the session after the idle period; this sends an unattended
  // screen back to the sign-in page at the same moment so patient data does not stay on view.
  var deadline = Date.now() + timeoutS * 1000;
  var lastPing = Date.now();
  var reset = function () { deadline = Date.now() + timeoutS * 1000; };
  document.addEventListener("htmx:afterRequest", reset);

  // Typing and tapping are activity: tell the server at most once a minute, so a long form is not lost.
  var csrf = function () {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };
  var active = function () {
    if (!keepaliveUrl || Date.now() - lastPing < 60000) { return; }
    lastPing = Date.now();
    fetch(keepaliveUrl, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf()}})
      .then(function (response) {
        if (response.status === 204) { reset(); } else { window.location.assign(loginUrl); }
      });
  };
  ["keydown", "input", "pointerdown"].forEach(function (name) { document.addEventListener(name, active, true); });

  window.setInterval(function () {
    if (Date.now() > deadline + 1000) { window.location.assign(loginUrl); }
  }, 1000);

  // A partial page request after the session ended (401) goes to the sign-in page instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail && event.detail.xhr && event.detail.xhr.status === 401) { window.location.assign(loginUrl); }
  });
})();
