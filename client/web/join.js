/* Registration form: show the hub fields only when "through a remote hub" is chosen. */
(function () {
  "use strict";
  const hub = document.getElementById("hub-fields");
  if (!hub) return;
  function update() {
    const mode = document.querySelector('input[name="mode"]:checked');
    hub.hidden = !(mode && mode.value === "hub");
  }
  document.querySelectorAll('input[name="mode"]').forEach(function (el) { el.addEventListener("change", update); });
  update();
})();
