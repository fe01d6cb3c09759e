/* The floor as every page shows it: the speaker card, the running countdown, the waiting list with its badges,
   and the read-only views built from them (the room screen, the public queue page, the captioner's speaker
   card). The participant and chair panels (floor.js, floor-moderate.js) reuse these pieces. Names and
   organisations are untrusted: they only ever reach the page as text. */
import { call, onConnect } from "./connection.js";
import { el } from "./dom.js";
import { countryName, languageName, t } from "./i18n.js";
import { SeqStore } from "./seq-store.js";
import { clock } from "./time.js";

export const MODES = { onsite: t("In the room"), remote: t("Remote"), hub: t("Remote hub") };
/** The floor policies by key, as the server names them (its label stays for a policy this page does not know). */
export const POLICIES = { fcfs: t("First come, first served"), alternate: t("Alternate room and remote"),
                          groups: t("Round-robin by stakeholder group"), new_voices: t("New voices first") };

/** The name of the floor's current policy in the interface language. */
export function policyName(floor) {
  return POLICIES[floor.policy] || floor.policy_label;
}
/** Why someone stands where they do in the list, or was called, by the server's reason code (its English
    sentence is in server/domain/floor/reasons.py; the values are names and group labels, kept as they are). */
const REASONS = {
  in_order: function () { return t("in order of request"); },
  first_speaker: function () { return t("first speaker; in order of request"); },
  alternates_room: function () { return t("alternates with the previous room speaker"); },
  alternates_remote: function () { return t("alternates with the previous remote speaker"); },
  no_remote_waiting: function () { return t("no remote speaker waiting; in order of request"); },
  no_room_waiting: function () { return t("no room speaker waiting; in order of request"); },
  group_first: function (p) { return t("{group} has not spoken yet", p); },
  group_spoke_last: function (p) { return t("{group} spoke last, but no other group is waiting", p); },
  group_since: function (p) { return t("{group} has not spoken since {other}", p); },
  spoken_already: function () { return t("has spoken already; in order of request"); },
  new_voice: function () { return t("has not spoken yet in this session"); },
  interposed: function () { return t("interposed question: put to the speaker before the list goes on"); },
  point_of_order: function () { return t("point of order: always taken first"); },
  reply_at_end: function () { return t("right of reply, at the end of the item"); },
  reply_next: function () { return t("right of reply, placed next by the chair"); },
  declined: function () { return t("declined for now; kept their place"); },
  placed: function () { return t("placed by the moderator"); },
  moved: function () { return t("moved by the moderator"); },
  moved_because: function (p) { return t("moved by the moderator: {reason}", p); },
  called: function () { return t("called by the moderator"); },
};

/** The reason of a list row (or a grant) in the interface language; the server's English for a code this page
    does not know. */
export function reasonText(row) {
  const say = Object.prototype.hasOwnProperty.call(REASONS, row.reason_code) ? REASONS[row.reason_code] : null;
  return say ? say(row.reason_params || {}) : (row.reason || "");
}

/** The roles an audit log's link holder acted with. */
const ROLES = { admin: t("Admin"), moderator: t("Moderator"), captioner: t("Captioner"), rapporteur: t("Rapporteur"),
                hub: t("Remote hub") };

/** Who acted, as an audit log entry names them, in the interface language (from the ``parts`` of the server's
    stored label; a participant's own name as it is). */
export function actorLabel(actor) {
  const p = actor.parts;
  if (!p) return actor.label;
  if (p.participant) return t("Participant {id}", { id: p.participant });
  if (p.anonymous) return t("Someone without a link");
  const link = t("{role} link ({scope})", { role: ROLES[p.role] || p.role, scope: p.scope || t("Whole meeting") });
  return p.name ? t("{name}, {link}", { name: p.name, link: link }) : link;
}

/** The parts of a session the chair moves through. */
export const PARTS = { presentations: t("Presentations"), panel: t("Panel"), debate: t("Debate"), closing: t("Closing") };
export const KINDS = { normal: "", point_of_order: t("Point of order"), right_of_reply: t("Right of reply"),
                       on_behalf: t("On behalf of a group"), presentation: t("Presentation"),
                       interposed_question: t("Interposed question") };

/** Show the session part the chair moved to in a ``[data-floor-part]`` node (hidden before the first move). */
export function renderPart(node, part) {
  if (!node) return;
  node.hidden = !part;
  node.dataset.part = part || "";
  node.textContent = part ? t("Now: {part}", { part: PARTS[part] || part }) : "";
}

/** One line about a person: organisation · country. */
export function whereFrom(p) {
  return [p.organisation, countryName(p.country) || p.country_name].filter(Boolean).join(" · ");
}

/** Small labelled badges: group, mode, language, kind. */
export function badges(p) {
  const out = [el("span", { class: "fl-badge fl-group", text: p.group_label || p.group })];
  out.push(el("span", { class: "fl-badge fl-mode fl-mode-" + p.mode, text: MODES[p.mode] || p.mode }));
  if (p.language) out.push(el("span", { class: "fl-badge fl-lang", text: languageName(p.language) }));
  if (KINDS[p.kind]) out.push(el("span", { class: "fl-badge fl-kind fl-kind-" + p.kind, text: KINDS[p.kind] }));
  return out;
}

/** Fill a speaker card (``[data-floor-card]``) with the current intervention, or the "floor is free" line;
    ``paused`` is the speaker an interposed question is put to. */
export function renderCard(card, current, paused) {
  card.replaceChildren();
  card.dataset.speaking = current ? "true" : "false";
  if (!current) {
    card.appendChild(el("p", { class: "fl-free", text: t("Nobody has the floor.") }));
    return;
  }
  card.dataset.kind = current.kind;
  const label = current.read_by ? t("Question read aloud") : (KINDS[current.kind] && (current.kind === "presentation"
    || current.kind === "interposed_question") ? KINDS[current.kind] : t("Has the floor"));
  card.appendChild(el("p", { class: "fl-label", "data-floor-kind": current.kind, text: label }));
  card.appendChild(el("p", { class: "fl-name", dir: "auto", "data-floor-speaker": "", text: current.read_by || current.name }));
  const lines = [];
  if (current.read_by) {
    lines.push(current.organisation ? t("Question from {name}, {organisation}", current) : t("Question from {name}", current));
  } else if (whereFrom(current)) lines.push(whereFrom(current));
  if (current.on_behalf_of) lines.push(t("On behalf of {group}", { group: current.on_behalf_of }));
  if (paused) lines.push(t("Question to {name}, who answers next", { name: paused.name }));
  if (current.theme) lines.push(t("Theme: {theme}", current));
  lines.forEach(function (line) { card.appendChild(el("p", { class: "fl-org", dir: "auto", text: line })); });
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
      small = t("speaking time (no limit)");
    } else if (elapsed > limit) {
      state = "overrun";
      big = "+" + clock(elapsed - limit);
      small = t("over the {limit} limit", { limit: clock(limit) });
    } else {
      const left = limit - elapsed;
      if (elapsed >= limit * this.rules.warn_fraction || left <= this.rules.warn_last_s * 1000) state = "warning";
      big = clock(Math.ceil(left / 1000) * 1000);
      small = t("left of {limit}", { limit: clock(limit) });
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
      el("span", { class: "fl-qname", dir: "auto",
                   text: row.read_by ? t("{reader} (reads a question from {name})", { reader: row.read_by, name: row.name })
                     : row.name }),
      el("span", { class: "fl-qorg", dir: "auto", text: whereFrom(row) }),
      el("span", { class: "fl-badges" }, badges(row)),
    ]);
    const kids = [el("span", { class: "fl-pos", "aria-label": t("Position {n}", { n: row.position }), text: String(row.position) }), who];
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
    if (policy) policy.textContent = policyName(state);
  }

  socket.on("floor_changed", function (m) {
    if (m.session_id === box.dataset.session && floor.put("floor", m.floor, m.floor.seq)) render();
  });
  onConnect(socket, function () {
    call(socket, "floor_state", {}).then(function (r) { if (r.ok && floor.put("floor", r.floor, r.floor.seq)) render(); });
  });
}
