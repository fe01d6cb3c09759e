/* The moderator's questions panel: new questions arrive live; publish, edit, merge, dismiss, screen, answer,
   reopen, hand to the floor; session options; the audit log. Runs on the page's /moderate connection; the
   questions are kept newest by seq. */
import { call as callOn, onConnect } from "./connection.js";
import { byId as $, el, replaceRows, say, sentence } from "./dom.js";
import { countryName, languageName, t, tn } from "./i18n.js";
import { MODES } from "./floor-view.js";
import { countsText, questionStore, REASONS, STATUS } from "./questions-view.js";
import { formatTime, timeElement } from "./time.js";

/** What the audit log says of each question action, and of the fields it records. */
const ACTIONS = { question_submitted: t("submitted"), question_edited: t("edited"), question_withdrawn: t("withdrawn"),
  question_published: t("published"), question_dismissed: t("dismissed"), question_put_on_screen: t("put on screen"),
  question_taken_off_screen: t("taken off screen"), question_answered: t("answered"), question_reopened: t("reopened"),
  questions_merged: t("merged"), question_voted: t("voted"), question_unvoted: t("vote taken back"),
  question_handed_to_floor: t("handed to the floor"), question_intervention_linked: t("linked to an intervention"),
  question_settings_changed: t("options changed") };
const FIELDS = { text: t("text"), reason: t("reason"), note: t("note"), how: t("how"), reader: t("reader"),
  to: t("to"), merged_id: t("merged question"), intervention_id: t("intervention") };

/** Run the moderator panel (``[data-questions="moderator"]``) on the page's /moderate connection. */
export function mountQuestionsModerator(panel, socket) {
  const store = questionStore(socket, render);
  const open = new Set();  // questions whose "More actions" panel is open, kept across re-renders
  let settings = {};
  const status = $("qm-status");

  function call(event, payload) { return callOn(socket, event, payload); }

  function act(event, payload, done) {
    return call(event, payload).then(function (r) {
      say(status, r.ok ? (done || t("Done.")) : sentence(r.error.message), r.ok ? "ok" : "error");
      return r;
    });
  }

  function refresh() {
    call("questions_list", {}).then(function (r) {
      if (!r.ok) return say(status, sentence(r.error.message), "error");
      store.reset(r.questions, r.seq);
      showSettings(r.settings);
      showCounts(r.counts);
      render();
    });
  }

  function showCounts(c) { panel.querySelector("[data-q-counts]").textContent = countsText(c); }

  function showSettings(s) {
    settings = s;
    $("qm-auto").checked = !!s.auto_publish;
    const closes = s.closes_at;
    $("qm-closing").textContent = closes === null || closes === undefined ? t("Open to new questions.")
      : closes <= Date.now() ? t("Closed to new questions since {time}.", { time: formatTime(closes, "short") })
      : t("New questions close at {time}.", { time: formatTime(closes, "short") });
  }

  function button(label, cls, onClick, aria) {
    const b = el("button", { type: "button", class: cls || "", text: label, "aria-label": aria || null });
    b.addEventListener("click", function () {
      b.disabled = true;
      Promise.resolve(onClick()).then(function () { b.disabled = false; });
    });
    return b;
  }

  function authorLine(q) {
    const a = q.author;
    const bits = [a.name, a.organisation, countryName(a.country), groupLabel(a.group), MODES[a.mode] || a.mode];
    return bits.filter(Boolean).join(" · ") + (q.show_name ? "" : " · " + t("name hidden from the public"));
  }

  function groupLabel(slug) {
    const labels = JSON.parse(panel.dataset.groups || "{}");
    return labels[slug] || slug;
  }

  function field(id, label, input) {
    input.id = id;
    return el("div", { class: "q-field" }, [el("label", { for: id, text: label }), input]);
  }

  function moreActions(q) {
    const kids = [];
    const ids = { id: q.id };
    if (q.status !== "withdrawn") {
      const area = el("textarea", { rows: 3, dir: "auto", value: q.text });
      kids.push(el("div", { class: "q-action" }, [field("qm-edit-" + q.id, t("Edit the text (the original is kept)"), area),
        button(t("Save text"), "secondary", function () {
          return act("question_edit", { id: q.id, text: area.value }, t("Question {id} edited.", ids));
        }, t("Save the text of question {id}", ids))]));
    }
    if (q.status === "pending" || q.status === "published") {
      const others = store.all().filter(function (o) {
        return o.id !== q.id && ["pending", "published", "on_screen", "answered"].indexOf(o.status) >= 0;
      });
      if (others.length) {
        const pick = el("select", {}, others.map(function (o) {
          return el("option", { value: String(o.id), text: o.id + ": " + o.text.slice(0, 70) });
        }));
        kids.push(el("div", { class: "q-action" }, [field("qm-merge-" + q.id, t("Duplicate of"), pick),
          button(t("Merge into it"), "secondary", function () {
            return act("question_merge", { id: Number(pick.value), merged_id: q.id },
                       t("Question {id} merged into question {into}.", { id: q.id, into: pick.value }));
          }, t("Merge question {id} into the chosen question", ids))]));
      }
    }
    if (["pending", "published", "on_screen"].indexOf(q.status) >= 0) {
      const reason = el("select", {}, Object.keys(REASONS).map(function (k) {
        return el("option", { value: k, text: REASONS[k] });
      }));
      const note = el("input", { type: "text", maxLength: 500 });
      kids.push(el("div", { class: "q-action" }, [field("qm-reason-" + q.id, t("Reason"), reason),
        field("qm-note-" + q.id, t("Note to the author (optional)"), note),
        button(t("Dismiss"), "danger", function () {
          return act("question_dismiss", { id: q.id, reason: reason.value, note: note.value },
                     t("Question {id} dismissed.", ids));
        }, t("Dismiss question {id}", ids))]));
    }
    if (q.status === "published" || q.status === "on_screen") {
      const reader = el("input", { type: "text", value: t("Moderator"), maxLength: 120, dir: "auto" });
      kids.push(el("div", { class: "q-action" }, [
        button(t("Author will speak"), "secondary", function () {
          return act("question_hand_to_floor", { id: q.id, how: "author_speaks" },
                     t("Question {id} handed to the floor: its author will speak.", ids));
        }, t("Hand question {id} to the floor: the author will speak", ids)),
        field("qm-reader-" + q.id, t("Read aloud by"), reader),
        button(t("Read aloud"), "secondary", function () {
          return act("question_hand_to_floor", { id: q.id, how: "read_aloud", reader: reader.value },
                     t("Question {id} handed to the floor: read aloud.", ids));
        }, t("Hand question {id} to the floor: read aloud", ids))]));
    }
    const details = el("details", { class: "q-more", open: open.has(q.id) },
      [el("summary", { text: t("More actions"), "aria-label": t("More actions for question {id}", ids) })].concat(kids));
    details.addEventListener("toggle", function () { if (details.open) open.add(q.id); else open.delete(q.id); });
    return kids.length ? details : null;
  }

  function mainButtons(q) {
    const ids = { id: q.id };
    const b = [];
    if (q.status === "pending") {
      b.push(button(t("Publish"), "", function () {
        return act("question_publish", { id: q.id }, t("Question {id} published.", ids));
      }, t("Publish question {id}", ids)));
    }
    if (q.status === "published") {
      b.push(button(t("Put on screen"), "", function () {
        return act("question_screen", { id: q.id }, t("Question {id} is on the room screen.", ids));
      }, t("Put question {id} on the room screen", ids)));
    }
    if (q.status === "on_screen") {
      b.push(button(t("Take off screen"), "secondary", function () {
        return act("question_unscreen", { id: q.id }, t("Question {id} taken off the screen.", ids));
      }, t("Take question {id} off the room screen", ids)));
    }
    if (q.status === "published" || q.status === "on_screen") {
      b.push(button(t("Mark answered"), "secondary", function () {
        return act("question_answer", { id: q.id }, t("Question {id} answered.", ids));
      }, t("Mark question {id} answered", ids)));
    }
    if ((q.status === "answered" || q.status === "dismissed") && q.merged_into === null) {
      b.push(button(t("Reopen"), "secondary", function () {
        return act("question_reopen", { id: q.id }, t("Question {id} reopened.", ids));
      }, t("Reopen question {id}", ids)));
    }
    return b;
  }

  function item(q) {
    const tags = [el("span", { class: "q-state q-state-" + q.status, text: STATUS[q.status] || q.status }),
      el("span", { class: "q-tag", text: "#" + q.id })];
    if (q.theme) tags.push(el("span", { class: "q-tag", dir: "auto", text: q.theme }));
    tags.push(el("span", { class: "q-tag", text: languageName(q.language) }));
    if (q.revisions.length > 1) tags.push(el("span", { class: "q-tag", text: t("edited") }));
    if (q.handoffs.length) {
      const h = q.handoffs[q.handoffs.length - 1];
      tags.push(el("span", { class: "q-tag", text: h.how === "read_aloud" ? t("read aloud by {reader}", h) : t("author to speak") }));
    }
    const body = [el("div", { class: "q-line" }, tags),
      el("p", { class: "q-text", lang: q.language || null, dir: "auto", text: q.text }),
      el("p", { class: "q-meta", dir: "auto", text: authorLine(q) })];
    if (q.co_authors.length) {
      body.push(el("p", { class: "q-meta", dir: "auto", text: t("Also asked by {names}", { names: q.co_authors.map(function (c) {
        return c.author.name; }).join(", ") }) }));
    }
    if (q.revisions.length > 1) {
      body.push(el("p", { class: "q-meta", dir: "auto", text: t("Originally: {text}", { text: q.original_text }) }));
    }
    if (q.status === "dismissed") {
      body.push(el("p", { class: "q-reason", dir: "auto", text: (q.merged_into ? t("Merged into question {id}", { id: q.merged_into })
        : t("Dismissed: {reason}", { reason: REASONS[q.dismiss_reason] || q.dismiss_reason })) +
        (q.dismiss_note ? " · " + q.dismiss_note : "") }));
    }
    body.push(el("div", { class: "q-buttons" }, mainButtons(q)));
    body.push(moreActions(q));
    return el("li", { class: "q-item q-" + q.status, "data-id": q.id }, [
      el("div", { class: "q-side" }, [el("span", { class: "q-votes", text: "▲ " + q.votes,
                                                        "aria-label": tn("{n} vote", "{n} votes", q.votes) })]),
      el("div", { class: "q-body" }, body)]);
  }

  function render() {
    const all = store.all();
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".q-item");
    const focusKey = focused ? [focused.dataset.id, document.activeElement.getAttribute("aria-label") || document.activeElement.id] : null;
    const byVotes = function (a, b) { return b.votes - a.votes || a.id - b.id; };
    const groups = {
      pending: all.filter(function (q) { return q.status === "pending"; }).sort(function (a, b) { return a.id - b.id; }),
      public: all.filter(function (q) { return q.status === "published" || q.status === "on_screen"; }).sort(function (a, b) {
        return (b.status === "on_screen") - (a.status === "on_screen") || byVotes(a, b); }),
      done: all.filter(function (q) { return ["answered", "dismissed", "withdrawn"].indexOf(q.status) >= 0; })
        .sort(function (a, b) { return b.id - a.id; }),
    };
    Object.keys(groups).forEach(function (k) {
      const list = $("qm-" + k);
      replaceRows(list, groups[k].map(item));
      panel.querySelector('[data-q-count="' + k + '"]').textContent = String(groups[k].length);
    });
    if (focusKey) {  // keep keyboard focus on the same control after a live update
      const li = panel.querySelector('.q-item[data-id="' + focusKey[0] + '"]');
      const again = li && Array.from(li.querySelectorAll("button, select, input, textarea, summary")).find(function (n) {
        return (n.getAttribute("aria-label") || n.id) === focusKey[1]; });
      if (again) again.focus();
    }
  }

  function setSettings(changes, done) {
    return act("question_settings", changes, done).then(function (r) { if (r.ok) showSettings(r.settings); });
  }
  $("qm-auto").addEventListener("change", function () {
    setSettings({ auto_publish: $("qm-auto").checked }, $("qm-auto").checked
      ? t("New questions are published without moderation.") : t("New questions wait for moderation."));
  });
  $("qm-close-in").addEventListener("click", function () {
    const minutes = Math.max(0, Number($("qm-minutes").value) || 0);
    setSettings({ closes_at: Date.now() + minutes * 60000 }, t("Closing time set."));
  });
  $("qm-close-now").addEventListener("click", function () { setSettings({ closes_at: Date.now() }, t("Questions closed.")); });
  $("qm-open").addEventListener("click", function () { setSettings({ closes_at: null }, t("Questions are open.")); });
  $("qm-settings").addEventListener("submit", function (e) { e.preventDefault(); });

  $("qm-audit-load").addEventListener("click", loadAudit);
  $("qm-audit").addEventListener("toggle", function () { if ($("qm-audit").open) loadAudit(); });
  function loadAudit() {
    call("questions_audit", {}).then(function (r) {
      if (!r.ok) return say(status, sentence(r.error.message), "error");
      const rows = r.entries.slice().reverse().map(function (e) {
        const d = e.details, bits = [];
        ["text", "reason", "note", "how", "reader", "to", "merged_id", "intervention_id"].forEach(function (k) {
          if (d[k] !== undefined && d[k] !== null && d[k] !== "") bits.push(t("{field}: {value}", { field: FIELDS[k], value: d[k] }));
        });
        if (d.settings) {
          bits.push((d.settings.auto_publish ? t("auto-publish on") : t("auto-publish off")) +
            (d.settings.closes_at ? ", " + t("closes {time}", { time: formatTime(d.settings.closes_at, "short") }) : ""));
        }
        return el("tr", {}, [el("td", {}, [timeElement(e.at_ms, "short")]), el("td", { text: e.actor.label }),
          el("td", { text: ACTIONS[e.name] || e.name.replace(/^questions?_/, "").replace(/_/g, " ") }),
          el("td", { text: e.question_id === null ? "" : String(e.question_id) }), el("td", { text: bits.join(" · ") })]);
      });
      replaceRows($("qm-audit-rows"), rows);
    });
  }

  socket.on("questions_counts", function (c) { if (c.session_id === panel.dataset.session) showCounts(c); });
  socket.on("question_settings", function (m) { showSettings(m.settings); });
  onConnect(socket, refresh);
}
