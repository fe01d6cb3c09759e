/* The participant's questions panel: ask, edit and withdraw while pending, vote, sort and filter; status changes
   arrive live on the page's /live connection and are kept newest by seq. */
import { call as callOn, onConnect } from "./connection.js";
import { byId as $, el, replaceRows, say, sentence } from "./dom.js";
import { t, tn } from "./i18n.js";
import { authorText, countsText, questionStore, REASONS, STATUS } from "./questions-view.js";
import { onSessionState } from "./session.js";

/** Run the participant panel (``[data-questions="participant"]``) on the page's /live connection. */
export function mountQuestions(panel, socket) {
  const session = panel.dataset.session;
  const store = questionStore(socket, render);
  const voted = new Set();
  let maxLength = 500;
  let editing = null;
  const form = $("q-form"), text = $("q-text"), status = $("q-status");
  // Asking, voting, editing and withdrawing apply only while the session is live.
  let live = panel.dataset.state === "live";

  /** A question's status as it stands now: once the session is over, nothing is on the screen any more. */
  function shown(q) {
    return q.status === "on_screen" && !live ? "published" : q.status;
  }

  function call(event, payload) { return callOn(socket, event, payload); }

  function refresh() {
    call("questions_list", {}).then(function (r) {
      if (!r.ok) return say(status, r.error.message, "error");
      maxLength = r.max_length;
      voted.clear();
      r.voted.forEach(function (id) { voted.add(id); });
      store.reset(r.questions, r.seq);
      showCounts(r.counts);
      render();
      showLength();
    });
  }

  function showCounts(c) { panel.querySelector("[data-q-counts]").textContent = countsText(c); }

  function showLength() {
    if (!text) return;
    const n = text.value.trim().length;
    $("q-length").textContent = tn("{n} of {max} character", "{n} of {max} characters", maxLength, { n: n, max: maxLength });
    $("q-length").dataset.over = n > maxLength ? "true" : "false";
  }

  function statusBadge(q) {
    const now = shown(q);
    return el("span", { class: "q-state q-state-" + now, text: STATUS[now] || now });
  }

  function meta(q) {
    const bits = [authorText(q.author)];
    (q.also_asked_by || []).forEach(function (a) { bits.push(t("also asked by {author}", { author: authorText(a) })); });
    if (q.theme) bits.push(q.theme);
    if (q.edited) bits.push(t("edited by the moderators or author"));
    return el("p", { class: "q-meta", dir: "auto", text: bits.filter(Boolean).join(" · ") });
  }

  function voteButton(q) {
    if (!form || !live || (q.status !== "published" && q.status !== "on_screen")) {
      return el("span", { class: "q-votes", text: tn("{n} vote", "{n} votes", q.votes) });
    }
    const mine = voted.has(q.id);
    const button = el("button", { type: "button", class: "q-vote" + (mine ? " secondary" : ""),
      "aria-pressed": mine ? "true" : "false",
      "aria-label": mine ? t("Take back your vote for: {question}", { question: q.text.slice(0, 80) })
        : t("Vote for: {question}", { question: q.text.slice(0, 80) }) },
      [el("span", { "aria-hidden": "true", text: "▲ " + q.votes })]);
    button.addEventListener("click", function () {
      button.disabled = true;
      call(mine ? "question_unvote" : "question_vote", { id: q.id }).then(function (r) {
        button.disabled = false;
        if (!r.ok) return say(status, r.error.message, "error");
        if (mine) voted.delete(q.id); else voted.add(q.id);
        render();
      });
    });
    return button;
  }

  function publicItem(q) {
    return el("li", { class: "q-item q-" + shown(q), "data-id": q.id }, [
      el("div", { class: "q-side" }, [voteButton(q)]),
      el("div", { class: "q-body" }, [
        el("p", { class: "q-text", lang: q.language || null, dir: "auto", text: q.text }), meta(q),
        shown(q) !== "published" ? statusBadge(q) : null,
        q.mine ? el("span", { class: "q-tag", text: t("Your question") }) : null,
      ]),
    ]);
  }

  function editForm(q) {
    const area = el("textarea", { id: "q-edit-" + q.id, rows: 3, dir: "auto", value: q.text });
    const save = el("button", { type: "submit", text: t("Save") });
    const cancel = el("button", { type: "button", class: "secondary", text: t("Cancel") });
    const f = el("form", { class: "stack q-edit" }, [
      el("label", { for: "q-edit-" + q.id, text: t("Edit your question") }), area,
      el("div", { class: "q-buttons" }, [save, cancel])]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      call("question_edit", { id: q.id, text: area.value }).then(function (r) {
        if (!r.ok) return say(status, r.error.message, "error");
        editing = null;
        say(status, t("Your question was changed."));
        render();
      });
    });
    cancel.addEventListener("click", function () { editing = null; render(); });
    setTimeout(function () { area.focus(); }, 0);
    return f;
  }

  function mineItem(q) {
    const kids = [el("div", { class: "q-line" }, [statusBadge(q),
      q.show_name ? null : el("span", { class: "q-tag", text: t("Name hidden from the public") })])];
    if (editing === q.id) kids.push(editForm(q));
    else kids.push(el("p", { class: "q-text", lang: q.language || null, dir: "auto", text: q.text }));
    if (q.status === "dismissed") {
      const why = q.merged_into ? t("Merged with a similar question ({id}).", { id: q.merged_into })
        : t("Not published: {reason}.", { reason: REASONS[q.dismiss_reason] || q.dismiss_reason });
      kids.push(el("p", { class: "q-reason", dir: "auto", text: why + (q.dismiss_note ? " " + q.dismiss_note : "") }));
    }
    if (q.handed_to_floor === "author_speaks" && (q.status === "published" || q.status === "on_screen")) {
      kids.push(el("p", { class: "notice", text: t("The moderator will give you the floor to ask it yourself.") }));
    } else if (q.handed_to_floor === "read_aloud" && q.status !== "answered") {
      kids.push(el("p", { class: "notice", text: t("Your question is being read aloud.") }));
    }
    if (live && q.status === "pending" && !q.co_author && editing !== q.id) {
      const edit = el("button", { type: "button", class: "secondary", text: t("Edit"),
                                    "aria-label": t("Edit question {id}", q) });
      const withdraw = el("button", { type: "button", class: "danger", text: t("Withdraw"),
                                        "aria-label": t("Withdraw question {id}", q) });
      edit.addEventListener("click", function () { editing = q.id; render(); });
      withdraw.addEventListener("click", function () {
        call("question_withdraw", { id: q.id }).then(function (r) {
          say(status, r.ok ? t("Your question was withdrawn.") : r.error.message, r.ok ? "ok" : "error");
        });
      });
      kids.push(el("div", { class: "q-buttons" }, [edit, withdraw]));
    }
    return el("li", { class: "q-item q-" + shown(q), "data-id": q.id }, [el("div", { class: "q-body" }, kids)]);
  }

  function render() {
    const all = store.all().filter(function (q) { return q.session_id === session; });
    const sort = $("q-sort").value, theme = $("q-filter").value;
    const visible = all.filter(function (q) {
      return ["published", "on_screen", "answered"].indexOf(q.status) >= 0 && (!theme || q.theme === theme);
    }).sort(function (a, b) {
      return sort === "newest" ? b.submitted_at - a.submitted_at || b.id - a.id
        : b.votes - a.votes || a.submitted_at - b.submitted_at || a.id - b.id;
    });
    replaceRows($("q-public"), visible.map(publicItem));
    $("q-public-empty").hidden = visible.length > 0;
    if ($("q-mine")) {
      const mine = all.filter(function (q) { return q.mine; }).sort(function (a, b) { return b.id - a.id; });
      replaceRows($("q-mine"), mine.map(mineItem));
      $("q-mine-empty").hidden = mine.length > 0;
    }
  }

  if (form) {
    text.addEventListener("input", showLength);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const send = $("q-send");
      send.disabled = true;
      call("question_submit", { text: text.value, theme: $("q-theme").value || null,
                                language: $("q-language").value, show_name: $("q-show-name").checked })
        .then(function (r) {
          send.disabled = false;
          if (!r.ok) {
            text.setAttribute("aria-invalid", r.error.field === "text" ? "true" : "false");
            return say(status, sentence(r.error.message), "error");
          }
          text.value = "";
          text.removeAttribute("aria-invalid");
          showLength();
          say(status, r.events.indexOf("question_published") >= 0 ? t("Your question is published.")
            : t("Thank you. A moderator will review your question."));
        });
    });
  }
  onSessionState(function (state) {
    if (state.session_id !== session) return;
    live = state.state === "live";
    const note = $("q-closed");
    if (note) {
      note.hidden = live;
      note.textContent = state.state === "ended" ? t("This session has ended.")
        : t("You can send questions once the session has started.");
    }
    if (form) form.hidden = !live;
    if (!live) editing = null;
    render();
  });
  $("q-sort").addEventListener("change", render);
  $("q-filter").addEventListener("change", render);

  socket.on("question_my_vote", function (m) {
    if (m.session_id !== session) return;
    if (m.voted) voted.add(m.id); else voted.delete(m.id);
    render();
  });
  socket.on("questions_counts", function (c) { if (c.session_id === session) showCounts(c); });
  onConnect(socket, refresh);
}
