// Treatment sessions: the timer to the next reading and the elapsed time. No inline scripts (CSP); the server sends
// seconds (not clock times), so a tablet whose clock is off still counts right. htmx swaps re-arm the counters.
(function () {
  "use strict";
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var clock = function (seconds) {
    var s = Math.abs(Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(r);
  };

  var arm = function (root) {
    var loaded = Date.now();
    root.querySelectorAll("[data-due-in-s]").forEach(function (el) {
      el.kcDeadline = loaded + parseInt(el.getAttribute("data-due-in-s"), 10) * 1000;
    });
    root.querySelectorAll("[data-elapsed-s]").forEach(function (el) {
      el.kcStart = loaded - parseFloat(el.getAttribute("data-elapsed-s")) * 1000;
    });
  };

  var tick = function () {
    var now = Date.now();
    document.querySelectorAll("[data-due-in-s]").forEach(function (el) {
      if (el.kcDeadline === undefined) { return; }
      var left = (el.kcDeadline - now) / 1000;
      var text = el.querySelector("[data-countdown-text]") || el;
      if (left < 0) {
        text.textContent = "overdue " + clock(left);
        el.classList.add("overdue");
        var box = el.closest(".due, .chair-card");
        if (box) { box.classList.add(box.classList.contains("chair-card") ? "is-overdue" : "overdue"); }
      } else {
        text.textContent = "in " + clock(left);
      }
    });
    document.querySelectorAll("[data-elapsed-s]").forEach(function (el) {
      if (el.kcStart === undefined) { return; }
      el.textContent = clock((now - el.kcStart) / 1000);
    });
  };

  document.addEventListener("DOMContentLoaded", function () { arm(document); tick(); });
  document.addEventListener("htmx:afterSwap", function (event) { arm(event.target); tick(); });
  window.setInterval(tick, 1000);

  // One tap, one submission: a form being sent disables its buttons (the server also ignores a repeated token).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-once]")) { return; }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }, true);
})();
