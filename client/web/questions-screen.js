/* Room screen: the question the moderator put on screen, in large type, with its author as they chose. */
(function () {
  "use strict";
  const Q = window.FloorcastQuestions;

  Q.ready(function () {
    const box = document.querySelector('[data-questions="screen"]');
    if (!box) return;
    const ctx = Q.context(box);
    const socket = Q.socket("/live", { meeting: ctx.meeting, session: ctx.session, lang: ctx.lang });
    const store = new Q.Store();

    function render() {
      const q = store.all().find(function (x) { return x.status === "on_screen" && x.session_id === ctx.session; });
      box.hidden = !q;
      document.getElementById("q-screen-text").textContent = q ? q.text : "";
      document.getElementById("q-screen-author").textContent = q ? Q.authorText(q.author) : "";
    }

    socket.on("question_changed", function (m) { if (store.put(m.question, m.seq)) render(); });
    socket.on("question_removed", function (m) { if (store.remove(m.id, m.seq)) render(); });
    Q.onConnect(socket, function () {
      window.Floorcast.call(socket, "questions_list", {}).then(function (r) {
        if (r.ok) { store.reset(r.questions, r.seq); render(); }
      });
    });
  });
})();
