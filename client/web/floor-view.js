/* Read-only floor views: the room screen, the public queue page and the captioner's speaker card. */
(function () {
  "use strict";
  const F = window.FloorcastFloor;

  F.ready(function () {
    document.querySelectorAll('[data-floor="view"]').forEach(function (box) {
      const namespace = box.dataset.namespace || "/live";
      const token = new URLSearchParams(location.search).get("t");
      const auth = { meeting: box.dataset.meeting, session: box.dataset.session, lang: box.dataset.lang };
      if (token && namespace !== "/live") auth.t = token;
      const socket = F.socket(namespace, auth);
      const latest = new F.Latest();
      const card = box.querySelector("[data-floor-card]");
      const list = box.querySelector("[data-floor-queue]");
      const empty = box.querySelector("[data-floor-empty]");
      const closed = box.querySelector("[data-floor-closed]");
      const policy = box.querySelector("[data-floor-policy]");
      const timer = new F.Timer(box.querySelector("[data-floor-timer]"));
      const limit = Number(box.dataset.next || 0);

      function render() {
        const floor = latest.floor;
        box.dataset.speaking = floor.current ? "true" : "false";
        box.dataset.waiting = String(floor.queue.length);
        if (card) F.renderCard(card, floor.current);
        timer.sync(floor);
        if (list) F.renderQueue(list, floor.queue, limit);
        if (empty) empty.hidden = floor.queue.length > 0;
        if (closed) closed.hidden = floor.open;
        if (policy) policy.textContent = floor.policy_label;
      }

      socket.on("floor_changed", function (m) {
        if (m.session_id === box.dataset.session && latest.take(m.floor)) render();
      });
      F.onConnect(socket, function () {
        F.call(socket, "floor_state", {}).then(function (r) { if (r.ok && latest.take(r.floor)) render(); });
      });
    });
  });
})();
