// ketaclinic page behaviour. No inline scripts (CSP): everything here is loaded from our own origin.
(function () {
  "use strict";
  // Idle timeout (security.md H2): the server ends the session after the idle period; this sends an unattended
  // screen back to the sign-in page at the same moment so patient data does not stay on view.
  var body = document.body;
  var timeoutS = parseInt(body.getAttribute("data-idle-timeout-s") || "0", 10);
  var loginUrl = body.getAttribute("data-login-url");
  if (timeoutS > 0 && loginUrl) {
    var deadline = Date.now() + timeoutS * 1000;
    var reset = function () { deadline = Date.now() + timeoutS * 1000; };
    document.addEventListener("htmx:afterRequest", reset);
    window.setInterval(function () {
      if (Date.now() > deadline + 1000) { window.location.assign(loginUrl); }
    }, 1000);
  }
})();
