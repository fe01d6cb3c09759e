/* Floor queue: helpers shared by the participant panel, the chair's panel, the room screen, the queue page and the
   captioner's speaker card. Names and organisations are untrusted: they only ever reach the page as textContent. */
(function () {
  "use strict";
  const F = {};

  F.LANGUAGES = { en: "English", fr: "French", es: "Spanish", ar: "Arabic", zh: "Chinese", ru: "Russian",
                  pt: "Portuguese", de: "German" };
  F.MODES = { onsite: "In the room", remote: "Remote", hub: "Remote hub" };
  F.KINDS = { normal: "", point_of_order: "Point of order", right_of_reply: "Right of reply",
              on_behalf: "On behalf of a group" };

  // Pages load the Socket.IO client and floorcast.js before these deferred panel scripts run.
  F.ready = window.Floorcast.ready;

  F.socket = window.Floorcast.shared;

  F.onConnect = window.Floorcast.onConnect;

  F.call = function (socket, event, payload) { return window.Floorcast.call(socket, event, payload); };

  F.el = window.Floorcast.el;

  /** "3:07" from milliseconds (never negative). */
  F.clock = function (ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  };

  F.wait = function (ms) {
    if (ms === null || ms === undefined) return "";
    const minutes = Math.round(ms / 60000);
    return minutes < 1 ? "under a minute" : "about " + minutes + (minutes === 1 ? " minute" : " minutes");
  };

  F.time = function (ms) {
    if (ms === null || ms === undefined) return "";
    const zone = document.body.dataset.timezone || undefined;
    return new Intl.DateTimeFormat(undefined, { timeStyle: "medium", timeZone: zone }).format(new Date(ms));
  };

  /** One line about a person: organisation · country. */
  F.whereFrom = function (p) {
    return [p.organisation, p.country_name || p.country].filter(Boolean).join(" · ");
  };

  /** Small labelled badges: group, mode, language, kind. */
  F.badges = function (p) {
    const out = [F.el("span", { class: "fl-badge fl-group", text: p.group_label || p.group })];
    out.push(F.el("span", { class: "fl-badge fl-mode fl-mode-" + p.mode, text: F.MODES[p.mode] || p.mode }));
    if (p.language) out.push(F.el("span", { class: "fl-badge fl-lang", text: F.LANGUAGES[p.language] || p.language }));
    if (F.KINDS[p.kind]) out.push(F.el("span", { class: "fl-badge fl-kind fl-kind-" + p.kind, text: F.KINDS[p.kind] }));
    return out;
  };

  /** Fill a speaker card (``[data-floor-card]``) with the current intervention, or the "floor is free" line. */
  F.renderCard = function (card, current) {
    card.replaceChildren();
    card.dataset.speaking = current ? "true" : "false";
    if (!current) {
      card.appendChild(F.el("p", { class: "fl-free", text: "Nobody has the floor." }));
      return;
    }
    card.appendChild(F.el("p", { class: "fl-label", text: current.read_by ? "Question read aloud" : "Has the floor" }));
    card.appendChild(F.el("p", { class: "fl-name", "data-floor-speaker": "", text: current.read_by || current.name }));
    const lines = [];
    if (current.read_by) lines.push("Question from " + current.name + (current.organisation ? ", " + current.organisation : ""));
    else if (F.whereFrom(current)) lines.push(F.whereFrom(current));
    if (current.on_behalf_of) lines.push("On behalf of " + current.on_behalf_of);
    if (current.theme) lines.push("Theme: " + current.theme);
    lines.forEach(function (t) { card.appendChild(F.el("p", { class: "fl-org", text: t })); });
    card.appendChild(F.el("p", { class: "fl-badges" }, F.badges(current)));
  };

  /** A countdown run from the server's start time and limit, corrected by the server clock on every push. */
  F.Timer = function (node) {
    this.node = node;
    this.current = null;
    this.offset = 0;
    this.rules = { warn_fraction: 0.8, warn_last_s: 30 };
    const self = this;
    this.handle = setInterval(function () { self.draw(); }, 250);
  };
  F.Timer.prototype.sync = function (floor) {
    this.offset = floor.now_ms - Date.now();  // server clock minus ours, at the moment the push arrived
    this.rules = { warn_fraction: floor.warn_fraction, warn_last_s: floor.warn_last_s };
    this.current = floor.current;
    this.draw();
  };
  F.Timer.prototype.draw = function () {
    const node = this.node, cur = this.current;
    if (!node) return;
    node.hidden = !cur;
    if (!cur) { node.dataset.state = "idle"; return; }
    const limit = cur.timer.limit_s === null ? null : cur.timer.limit_s * 1000;
    const elapsed = Math.max(0, Date.now() + this.offset - cur.start_ms);
    let state = "running", big, small;
    if (limit === null) {
      big = F.clock(elapsed);
      small = "speaking time (no limit)";
    } else if (elapsed > limit) {
      state = "overrun";
      big = "+" + F.clock(elapsed - limit);
      small = "over the " + F.clock(limit) + " limit";
    } else {
      const left = limit - elapsed;
      if (elapsed >= limit * this.rules.warn_fraction || left <= this.rules.warn_last_s * 1000) state = "warning";
      big = F.clock(Math.ceil(left / 1000) * 1000);
      small = "left of " + F.clock(limit);
    }
    node.dataset.state = state;
    const digits = node.querySelector("[data-timer-digits]"), note = node.querySelector("[data-timer-note]");
    const bar = node.querySelector("[data-timer-bar]");
    if (digits.textContent !== big) digits.textContent = big;
    if (note.textContent !== small) note.textContent = small;
    if (bar) bar.style.width = (limit === null ? 0 : Math.min(100, 100 * elapsed / limit)) + "%";
  };

  /** The waiting list as <li> rows (``limit``: only the first n); ``extra(row)`` adds per-row controls. */
  F.renderQueue = function (list, rows, limit, extra) {
    list.replaceChildren();
    rows.slice(0, limit || rows.length).forEach(function (row) {
      const who = F.el("div", { class: "fl-who" }, [
        F.el("span", { class: "fl-qname", text: row.read_by ? row.read_by + " (reads a question from " + row.name + ")" : row.name }),
        F.el("span", { class: "fl-qorg", text: F.whereFrom(row) }),
        F.el("span", { class: "fl-badges" }, F.badges(row)),
      ]);
      const kids = [F.el("span", { class: "fl-pos", "aria-label": "Position " + row.position, text: String(row.position) }), who];
      if (extra) kids.push(extra(row));
      list.appendChild(F.el("li", { class: "fl-row fl-tier-" + row.tier + (row.pinned ? " fl-pinned" : ""),
                                    "data-request": row.id }, kids));
    });
  };

  /** Keep only the newest state (by ``seq``). */
  F.Latest = function () { this.seq = -1; this.floor = null; };
  F.Latest.prototype.take = function (floor) {
    if (!floor || floor.seq < this.seq) return false;
    this.seq = floor.seq;
    this.floor = floor;
    return true;
  };

  F.say = function (node, text, kind) {
    if (!node) return;
    node.textContent = text;
    node.dataset.kind = kind || "ok";
  };

  F.sentence = function (message) {
    const m = String(message || "");
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  };

  window.FloorcastFloor = F;
})();
