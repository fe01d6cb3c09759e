/* The floor as every page shows it: the speaker card, the running countdown, the waiting list with its badges,
   and the read-only views built from them (the room screen, the public queue page, the captioner's speaker
   card). The participant and chair panels (floor.js, floor-moderate.js) reuse these pieces. Names and
   organisations are untrusted: they only ever reach the page as text. */
import { call, onConnect } from "./connection.js";
import { el } from "./dom.js";
import { SeqStore } from "./seq-store.js";
import { clock } from "./time.js";

export const LANGUAGES = { en: "English", fr: "French", es: "Spanish", ar: "Arabic", zh: "Chinese", ru: "Russian",
                           pt: "Portuguese", de: "German" };
export const MODES = { onsite: "In the room", remote: "Remote", hub: "Remote hub" };
/* The agenda's words, in one place for translation. */
export const AGENDA_TEXT = {
  presentation: "Presentation", interposed_question: "Interposed question",
  questionTo: "Question to ", answersNext: ", who answers next",
  parts: { presentations: "Presentations", panel: "Panel", debate: "Debate", closing: "Closing" },
  partLabel: "Now: ",
};
export const KINDS = { normal: "", point_of_order: "Point of order", right_of_reply: "Right of reply",
                       on_behalf: "On behalf of a group", presentation: AGENDA_TEXT.presentation,
                       interposed_question: AGENDA_TEXT.interposed_question };
export const PARTS = AGENDA_TEXT.parts;

/** Show the session part the chair moved to in a ``[data-floor-part]`` node (hidden before the first move). */
export function renderPart(node, part) {
  if (!node) return;
  node.hidden = !part;
  node.dataset.part = part || "";
  node.textContent = part ? AGENDA_TEXT.partLabel + (PARTS[part] || part) : "";
}

/** One line about a person: organisation · country. */
export function whereFrom(p) {
  return [p.organisation, p.country_name || p.country].filter(Boolean).join(" · ");
}

/** Small labelled badges: group, mode, language, kind. */
export function badges(p) {
  const out = [el("span", { class: "fl-badge fl-group", text: p.group_label || p.group })];
  out.push(el("span", { class: "fl-badge fl-mode fl-mode-" + p.mode, text: MODES[p.mode] || p.mode }));
  if (p.language) out.push(el("span", { class: "fl-badge fl-lang", text: LANGUAGES[p.language] || p.language }));
  if (KINDS[p.kind]) out.push(el("span", { class: "fl-badge fl-kind fl-kind-" + p.kind, text: KINDS[p.kind] }));
  return out;
}

/** Fill a speaker card (``[data-floor-card]``) with the current intervention, or the "floor is free" line;
    ``paused`` is the speaker an interposed question is put to. */
export function renderCard(card, current, paused) {
  card.replaceChildren();
  card.dataset.speaking = current ? "true" : "false";
  if (!current) {
    card.appendChild(el("p", { class: "fl-free", text: "Nobody has the floor." }));
    return;
  }
  card.dataset.kind = current.kind;
  const label = current.read_by ? "Question read aloud" : (KINDS[current.kind] && (current.kind === "presentation"
    || current.kind === "interposed_question") ? KINDS[current.kind] : "Has the floor");
  card.appendChild(el("p", { class: "fl-label", "data-floor-kind": current.kind, text: label }));
  card.appendChild(el("p", { class: "fl-name", "data-floor-speaker": "", text: current.read_by || current.name }));
  const lines = [];
  if (current.read_by) lines.push("Question from " + current.name + (current.organisation ? ", " + current.organisation : ""));
  else if (whereFrom(current)) lines.push(whereFrom(current));
  if (current.on_behalf_of) lines.push("On behalf of " + current.on_behalf_of);
  if (paused) lines.push(AGENDA_TEXT.questionTo + paused.name + AGENDA_TEXT.answersNext);
  if (current.theme) lines.push("Theme: " + current.theme);
  lines.forEach(function (t) { card.appendChild(el("p", { class: "fl-org", text: t })); });
  card.appendChild(el("p", { class: "fl-badges" }, badges(current)));
}

/** A countdown run from the server's start time and limit, corrected by the server clock on every push. */
export class Timer {
  constructor(node) {
    this.node = node;
    this.current = null;
    this.offset = 0;
    this.rules = { warn_fraction: 0.8, warn_last_s: 30 };
    if (node) this.handle = setInterval(() => this.draw(), 250);
  }

  sync(floor) {
    this.offset = floor.now_ms - Date.now();  // server clock minus ours, at the moment the push arrived
    this.rules = { warn_fraction: floor.warn_fraction, warn_last_s: floor.warn_last_s };
    this.current = floor.current;
    this.draw();
  }

  draw() {
    const node = this.node, cur = this.current;
    if (!node) return;
    node.hidden = !cur;
    if (!cur) { node.dataset.state = "idle"; return; }
    const limit = cur.timer.limit_s === null ? null : cur.timer.limit_s * 1000;
    const elapsed = Math.max(0, Date.now() + this.offset - cur.timer.start_ms);  // pauses left out by the server
    let state = "running", big, small;
    if (limit === null) {
      big = clock(elapsed);
      small = "speaking time (no limit)";
    } else if (elapsed > limit) {
      state = "overrun";
      big = "+" + clock(elapsed - limit);
      small = "over the " + clock(limit) + " limit";
    } else {
      const left = limit - elapsed;
      if (elapsed >= limit * this.rules.warn_fraction || left <= this.rules.warn_last_s * 1000) state = "warning";
      big = clock(Math.ceil(left / 1000) * 1000);
      small = "left of " + clock(limit);
    }
    node.dataset.state = state;
    const digits = node.querySelector("[data-timer-digits]"), note = node.querySelector("[data-timer-note]");
    const bar = node.querySelector("[data-timer-bar]");
    if (digits.textContent !== big) digits.textContent = big;
    if (note.textContent !== small) note.textContent = small;
    if (bar) bar.style.width = (limit === null ? 0 : Math.min(100, 100 * elapsed / limit)) + "%";
  }
}

/** The waiting list as <li> rows (``limit``: only the first n); ``extra(row)`` adds per-row controls. */
export function renderQueue(list, rows, limit, extra) {
  list.replaceChildren();
  rows.slice(0, limit || rows.length).forEach(function (row) {
    const who = el("div", { class: "fl-who" }, [
      el("span", { class: "fl-qname", text: row.read_by ? row.read_by + " (reads a question from " + row.name + ")" : row.name }),
      el("span", { class: "fl-qorg", text: whereFrom(row) }),
      el("span", { class: "fl-badges" }, badges(row)),
    ]);
    const kids = [el("span", { class: "fl-pos", "aria-label": "Position " + row.position, text: String(row.position) }), who];
    if (extra) kids.push(extra(row));
    list.appendChild(el("li", { class: "fl-row fl-tier-" + row.tier + (row.pinned ? " fl-pinned" : ""),
                                "data-request": row.id }, kids));
  });
}

/** A read-only floor view (``[data-floor="view"]``): speaker card, timer, the first ``data-next`` waiting. */
export function mountFloorView(box, socket) {
  const floor = new SeqStore();
  const card = box.querySelector("[data-floor-card]");
  const list = box.querySelector("[data-floor-queue]");
  const empty = box.querySelector("[data-floor-empty]");
  const closed = box.querySelector("[data-floor-closed]");
  const policy = box.querySelector("[data-floor-policy]");
  const part = box.querySelector("[data-floor-part]");
  const timer = new Timer(box.querySelector("[data-floor-timer]"));
  const limit = Number(box.dataset.next || 0);

  function render() {
    const state = floor.get("floor");
    box.dataset.speaking = state.current ? "true" : "false";
    box.dataset.waiting = String(state.queue.length);
    box.dataset.part = state.part || "";
    if (card) renderCard(card, state.current, state.paused);
    renderPart(part, state.part);
    timer.sync(state);
    if (list) renderQueue(list, state.queue, limit);
    if (empty) empty.hidden = state.queue.length > 0;
    if (closed) closed.hidden = state.open;
    if (policy) policy.textContent = state.policy_label;
  }

  socket.on("floor_changed", function (m) {
    if (m.session_id === box.dataset.session && floor.put("floor", m.floor, m.floor.seq)) render();
  });
  onConnect(socket, function () {
    call(socket, "floor_state", {}).then(function (r) { if (r.ok && floor.put("floor", r.floor, r.floor.seq)) render(); });
  });
}
