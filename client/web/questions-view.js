/* Moderated questions as every page shows them: status and dismissal wording, how an author appears in public,
   the counts line, the question store (newest by seq), and the room screen's question in large type. The
   participant and moderator panels (questions.js, questions-moderate.js) reuse these pieces. User text is only
   ever put into the page as text. */
import { call, onConnect } from "./connection.js";
import { countryName, t, tn } from "./i18n.js";
import { SeqStore } from "./seq-store.js";
import { onSessionState } from "./session.js";

export const STATUS = { pending: t("Waiting for moderation"), published: t("Published"), on_screen: t("On screen"),
                        answered: t("Answered"), dismissed: t("Dismissed"), withdrawn: t("Withdrawn") };
export const REASONS = { duplicate: t("Duplicate"), off_topic: t("Off topic"), already_answered: t("Already answered"),
                         inappropriate: t("Inappropriate"), out_of_time: t("Out of time") };

/** How a question's author appears in public: name (organisation, country) or their stakeholder group. */
export function authorText(author) {
  if (!author) return "";
  if (author.name) {
    const extra = [author.organisation, countryName(author.country)].filter(Boolean).join(", ");
    return extra ? t("{name} ({details})", { name: author.name, details: extra }) : author.name;
  }
  return author.group_label || author.group || "";
}

/** The counts line: received, published, answered, dismissed (with reasons). */
export function countsText(c) {
  const dismissed = Object.keys(c.dismissed || {}).filter(function (k) { return c.dismissed[k] > 0; })
    .map(function (k) { return t("{reason}: {n}", { reason: REASONS[k] || k, n: c.dismissed[k] }); });
  const total = dismissed.length ? Object.keys(c.dismissed).reduce(function (n, k) { return n + c.dismissed[k]; }, 0) : 0;
  return [tn("{n} received", "{n} received", c.received), tn("{n} published", "{n} published", c.published),
    tn("{n} answered", "{n} answered", c.answered),
    tn("{n} dismissed", "{n} dismissed", total) + (dismissed.length ? " (" + dismissed.join(", ") + ")" : "")].join(" · ");
}

/**
 * Questions by id, newest by seq. Two views of one change (the public one and the author's own) share a seq and
 * are merged; a removal is remembered against older updates.
 */
export function questionStore(socket, onChange) {
  const store = new SeqStore({ merge: true });
  socket.on("question_changed", function (m) { if (store.put(m.question.id, m.question, m.seq)) onChange(); });
  socket.on("question_removed", function (m) { if (store.remove(m.id, m.seq)) onChange(); });
  return {
    all: function () { return store.all(); },
    reset: function (questions, seq) { store.reset(questions.map(function (q) { return [q.id, q]; }), seq); },
  };
}

/** Room screen (``[data-questions="screen"]``): the question on screen, with its author as they chose. */
export function mountQuestionsScreen(box, socket) {
  const session = box.dataset.session;
  const store = questionStore(socket, render);

  // Once the session has ended nothing is on the screen any more, whatever the question's last status.
  let ended = box.dataset.state === "ended";

  function render() {
    const q = ended ? null
      : store.all().find(function (x) { return x.status === "on_screen" && x.session_id === session; });
    box.hidden = !q;
    document.getElementById("q-screen-text").textContent = q ? q.text : "";
    document.getElementById("q-screen-text").lang = q && q.language ? q.language : "";
    document.getElementById("q-screen-author").textContent = q ? authorText(q.author) : "";
  }

  onConnect(socket, function () {
    call(socket, "questions_list", {}).then(function (r) {
      if (r.ok) { store.reset(r.questions, r.seq); render(); }
    });
  });
  onSessionState(function (state) {
    if (state.session_id !== session) return;
    ended = state.state === "ended";
    render();
  });
}
