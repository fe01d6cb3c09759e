/* Meeting home: keep each session's live badge current. */
(function () {
  "use strict";
  const agenda = document.querySelector(".agenda[data-meeting]");
  if (!agenda) return;
  document.body.dataset.timezone = agenda.dataset.timezone;
  Floorcast.formatTimes(document, agenda.dataset.timezone);
  const summary = document.getElementById("live-summary");
  function summarise() {
    const live = Array.from(agenda.querySelectorAll(".state-live")).map(function (el) {
      return el.closest("li").querySelector("h3").textContent.trim();
    });
    summary.textContent = live.length ? "Live now: " + live.join(", ") : "No session is live right now.";
  }
  summarise();
  const socket = Floorcast.connect("/live", { meeting: agenda.dataset.meeting });
  document.addEventListener("floorcast:session-state", summarise);
  socket.on("agenda_changed", function () { window.location.reload(); });
})();
