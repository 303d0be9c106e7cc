// The day view's "Book an appointment" link opens the booking disclosure (browsers that do not open a <details> for
// a link into it); opening it fetches the form (htmx, hx-trigger "toggle"). No inline scripts: CSP.
(function () {
  "use strict";
  var details = document.getElementById("book");
  if (!details) { return; }
  document.querySelectorAll('a[href="#book-form"]').forEach(function (link) {
    link.addEventListener("click", function () { details.open = true; });
  });
})();
