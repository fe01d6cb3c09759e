/* Moderated questions: helpers shared by the participant panel, the moderator panel and the room screen.
   User text is only ever put into the page with textContent, never as HTML. */
(function () {
  "use strict";
  const Q = {};

  Q.STATUS = { pending: "Waiting for moderation", published: "Published", on_screen: "On screen",
               answered: "Answered", dismissed: "Dismissed", withdrawn: "Withdrawn" };
  Q.REASONS = { duplicate: "Duplicate", off_topic: "Off topic", already_answered: "Already answered",
                inappropriate: "Inappropriate", out_of_time: "Out of time" };

  // Pages load the Socket.IO client and floorcast.js before these deferred panel scripts run.
  Q.ready = window.Floorcast.ready;

  /** The panel's meeting, session and language, and the page's role token. */
  Q.context = function (panel) {
    return { meeting: panel.dataset.meeting, session: panel.dataset.session, lang: panel.dataset.lang,
             token: new URLSearchParams(location.search).get("t") };
  };

  Q.socket = window.Floorcast.shared;

  Q.onConnect = window.Floorcast.onConnect;

  Q.el = window.Floorcast.el;

  /** How a question's author appears in public: name (organisation, country) or their stakeholder group. */
  Q.authorText = function (author) {
    if (!author) return "";
    if (author.name) {
      const extra = [author.organisation, author.country].filter(Boolean).join(", ");
      return author.name + (extra ? " (" + extra + ")" : "");
    }
    return author.group_label || author.group || "";
  };

  Q.time = function (ms) {
    if (ms === null || ms === undefined) return "";
    const zone = document.body.dataset.timezone || undefined;
    return new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: zone }).format(new Date(ms));
  };

  Q.countsText = function (c) {
    const dismissed = Object.keys(c.dismissed || {}).filter(function (k) { return c.dismissed[k] > 0; })
      .map(function (k) { return c.dismissed[k] + " " + (Q.REASONS[k] || k).toLowerCase(); });
    const total = dismissed.length ? Object.keys(c.dismissed).reduce(function (n, k) { return n + c.dismissed[k]; }, 0) : 0;
    return c.received + " received · " + c.published + " published · " + c.answered + " answered · " +
      total + " dismissed" + (dismissed.length ? " (" + dismissed.join(", ") + ")" : "");
  };

  /** Questions by id with the ``seq`` each was last updated at; older updates are dropped. */
  Q.Store = function () { this.items = new Map(); this.seq = 0; };
  Q.Store.prototype.put = function (q, seq) {
    const old = this.items.get(q.id);
    if (old && old._seq > seq) return false;
    this.items.set(q.id, Object.assign(old && old._seq === seq ? old : {}, q, { _seq: seq }));
    this.seq = Math.max(this.seq, seq);
    return true;
  };
  Q.Store.prototype.remove = function (id, seq) {
    const old = this.items.get(id);
    if (old && old._seq > seq) return false;
    this.items.delete(id);
    return true;
  };
  Q.Store.prototype.reset = function (list, seq) {
    const keep = new Map();
    this.items.forEach(function (q, id) { if (q._seq > seq) keep.set(id, q); });
    const self = this;
    this.items = new Map();
    list.forEach(function (q) { self.items.set(q.id, Object.assign({}, q, { _seq: seq })); });
    keep.forEach(function (q, id) { self.items.set(id, q); });
    this.seq = Math.max(this.seq, seq);
  };
  Q.Store.prototype.all = function () { return Array.from(this.items.values()); };

  /** A server message as a sentence: capital first letter, final full stop. */
  Q.sentence = function (message) {
    const m = String(message || "");
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  };

  /** Show a message in a status region (``kind``: ok or error). */
  Q.say = function (node, text, kind) {
    if (!node) return;
    node.textContent = text;
    node.dataset.kind = kind || "ok";
  };

  window.FloorcastQuestions = Q;
})();
