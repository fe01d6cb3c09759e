/* A session's life on every page: the state badges (scheduled, live, ended) kept current from the
   ``session_state`` pushes, a subscription for panels that react to it, the meeting agenda's "live now" summary,
   and on the moderator page the Start/End button and the list of captioner handovers. */
import { formatTime } from "./time.js";
import { languageName, t } from "./i18n.js";

/** A captioner as the reader's language names them, from the parts of the server's label (its stored English
    label when it has none). */
export function captionerLabel(c) {
  if (!c.number) return c.label;
  const base = c.scope === "session" ? t("Session captioner #{n}", { n: c.number })
    : t("Meeting captioner #{n}", { n: c.number });
  return c.name ? t("{name} ({captioner})", { name: c.name, captioner: base }) : base;
}

const listeners = [];

/** Call ``fn(state)`` for every session state pushed to this page. */
export function onSessionState(fn) {
  listeners.push(fn);
}

/** Apply a pushed session state: every badge of that session, then the subscribed panels. */
export function showSessionState(state) {
  document.querySelectorAll('[data-session-state="' + CSS.escape(state.session_id) + '"]').forEach(function (el) {
    el.className = "state state-" + state.state;
    el.textContent = state.state === "live" ? t("Live now") : state.state === "ended" ? t("Ended") : t("Scheduled");
  });
  listeners.forEach(function (fn) { fn(state); });
}

/** Meeting home: the "Live now: ..." line follows the badges; a changed agenda reloads the page. */
export function mountAgenda(agenda, socket) {
  const summary = document.getElementById("live-summary");
  function summarise() {
    if (!summary) return;
    const live = Array.from(agenda.querySelectorAll(".state-live")).map(function (el) {
      return el.closest("li").querySelector("h3").textContent.trim();
    });
    summary.textContent = live.length ? t("Live now: {sessions}", { sessions: live.join(", ") })
      : t("No session is live right now.");
  }
  summarise();
  onSessionState(summarise);
  socket.on("agenda_changed", function () { window.location.reload(); });
}

/** Moderator page: the Start/End form follows the session's state; captioner handovers are listed live. */
export function mountModeratorSession(form, socket) {
  const head = document.querySelector(".session-head");
  const sid = head ? head.dataset.session : null;
  const button = document.getElementById("life-button");
  onSessionState(function (state) {
    if (state.session_id !== sid) return;
    const live = state.state === "live";
    form.action = form.action.replace(/\/(start|end)$/, live ? "/end" : "/start");
    button.textContent = live ? t("End session") : t("Start session");
  });
  const list = document.querySelector("[data-moderator-handovers]");
  if (!list) return;
  socket.on("captioner_handed_over", function (h) {
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const item = document.createElement("li");
    const from = h.from_captioner ? captionerLabel(h.from_captioner) : t("nobody");
    item.textContent = t("{time} — {to} took over from {from} ({language})", { time: formatTime(h.at_ms, "short"),
      to: h.to_captioner ? captionerLabel(h.to_captioner) : "?", from: from, language: languageName(h.lang) });
    list.prepend(item);
  });
}
