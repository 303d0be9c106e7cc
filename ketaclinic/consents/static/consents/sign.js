// The optional drawn signature: a canvas the patient draws on with a finger, pen or mouse. The drawing is put into
// the form's hidden drawn_signature field as a PNG data URL; the typed name and the ticked box remain the signature.
(function () {
  "use strict";
  document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas");
    var field = document.getElementById(pad.getAttribute("data-field"));
    var clear = pad.querySelector("[data-clear]");
    if (!canvas || !field) { return; }
    pad.hidden = false;
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    function scale() {
      var ratio = window.devicePixelRatio || 1;
      var width = canvas.clientWidth;
      canvas.width = width * ratio;
      canvas.height = 140 * ratio;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.strokeStyle = "#111";
      drawn = false;
      field.value = "";
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      drawn = true;
      event.preventDefault();
    });
    function finish() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { field.value = canvas.toDataURL("image/png"); }
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    if (clear) {
      clear.addEventListener("click", function () { context.clearRect(0, 0, canvas.width, canvas.height); scale(); });
    }
    scale();
  });
})();
