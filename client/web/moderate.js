/* Moderator page: keep the Start/End button in step with the session, and list captioner handovers. */
(function () {
  "use strict";
  const head = document.querySelector(".session-head");
  const form = document.getElementById("life-form");
  if (!head || !form) return;
  const sid = head.dataset.session;
  const button = document.getElementById("life-button");
  const token = form.querySelector('input[name="t"]').value;

  document.addEventListener("floorcast:session-state", function (e) {
    if (e.detail.session_id !== sid) return;
    const live = e.detail.state === "live";
    form.action = form.action.replace(/\/(start|end)$/, live ? "/end" : "/start");
    button.textContent = live ? "End session" : "Start session";
  });

  const socket = (Floorcast.sockets && Floorcast.sockets["/moderate"]) ||
    Floorcast.connect("/moderate", { meeting: head.dataset.meeting, session: sid, t: token });
  const list = document.querySelector("[data-moderator-handovers]");
  const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: document.body.dataset.timezone || undefined });
  socket.on("captioner_handed_over", function (h) {
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const item = document.createElement("li");
    const from = h.from_captioner ? h.from_captioner.label : "nobody";
    item.textContent = clock.format(new Date(h.at_ms)) + " — " + (h.to_captioner ? h.to_captioner.label : "?") +
      " took over from " + from + " (" + h.lang + ")";
    list.prepend(item);
  });
})();
