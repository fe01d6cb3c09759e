/* The room screen's layout: the chair chooses on the moderator page what the screen shows next to the captions
   (the captions only, with the speaker, or with the speaker and the question); every screen of the session
   follows at once, and a screen opened later starts with the stored choice. */
import { call, onConnect } from "./connection.js";
import { say, sentence } from "./dom.js";
import { t } from "./i18n.js";

/** Moderator page (``#screen-layout``): a choice is sent as soon as it is made; another chair's arrives live. */
export function mountScreenChoice(box, socket) {
  const status = box.querySelector("[data-screen-status]");
  box.addEventListener("change", function (e) {
    if (e.target.name !== "shows") return;
    call(socket, "screen_layout", { shows: e.target.value }).then(function (r) {
      say(status, r.ok ? t("The room screen was updated.") : sentence(r.error.message), r.ok ? "ok" : "error");
    });
  });
  socket.on("screen_layout", function (m) {
    if (m.session_id !== box.dataset.session) return;
    const radio = box.querySelector('input[name="shows"][value="' + CSS.escape(m.shows) + '"]');
    if (radio) radio.checked = true;
  });
}

/** Room screen (``main[data-show]``): follow the chair's choice, and ask again after a reconnection. */
export function mountScreenLayout(main, socket) {
  socket.on("screen_layout", function (m) {
    if (m.session_id === main.dataset.session) main.dataset.show = m.shows;
  });
  onConnect(socket, function () {
    call(socket, "screen_state", {}).then(function (r) { if (r.ok) main.dataset.show = r.shows; });
  });
}
