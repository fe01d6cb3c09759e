/* Admin page: copy a link to the clipboard. */
(function () {
  "use strict";
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      const input = button.parentElement.querySelector("input.link");
      const done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.dataset.copy).then(done, function () { input.select(); });
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();
