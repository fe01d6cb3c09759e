/* Live captions for viewers: the session page (scrollback), the room screen and the OBS overlay (last N lines).
 * Segments carry a gap-free seq, kept in order by a SeqStore: duplicates are dropped, a gap is filled with
 * captions_since, and a reconnect sends the last seq held (``resumeAuth``) so the server replays exactly what was
 * missed. Reader preferences live in localStorage. Caption text is only ever set with textContent. */
import { call } from "./connection.js";
import { t } from "./i18n.js";
import { SeqStore } from "./seq-store.js";
import { onSessionState } from "./session.js";

const PREFS_KEY = "floorcast.captions";
const MAX_SCROLLBACK = 3000;

/**
 * Run a captions panel on the page's /live connection. Returns ``resumeAuth``: the fields the connection must
 * send at every (re)connection (language and last seq held).
 */
export function mountCaptions(panel, socket) {
  const view = panel.querySelector("[data-captions-view]");
  const list = panel.querySelector("[data-caption-lines]");
  const tailEl = panel.querySelector("[data-caption-tail]");
  const empty = panel.querySelector("[data-captions-empty]");
  const newBelow = panel.querySelector("[data-new-below]");
  const ended = panel.querySelector("[data-captions-ended]");
  const mode = panel.dataset.mode || "scroll";
  const maxLines = Math.max(1, Math.min(20, Number(panel.dataset.lines) || (mode === "lines" ? 3 : 0))) || 0;

  const state = {
    lang: panel.dataset.lang,
    synced: false,      // the backlog for this connection arrived
    early: [],          // live segments received before the backlog
    nodes: new Map(),   // seq -> <li>
    filling: false,
    stick: true,
    tailLines: 0,       // live lines shown under the final ones
    tailRevision: 0,    // the stream's stored revision the live lines shown are from
  };
  // Every seq up to ``log.seq`` is shown; segments after a gap wait in the store while the gap is fetched.
  const log = new SeqStore({ onGap: function () { fillGap(); } });

  // --- reader preferences, remembered in localStorage ---------------------------------------------------
  function loadPrefs() {
    try { return JSON.parse(localStorage.getItem(PREFS_KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function applyPrefs(prefs) {
    ["size", "theme", "spacing"].forEach(function (name) {
      if (prefs[name]) panel.dataset[name] = prefs[name];
      const select = panel.querySelector('[data-pref="' + name + '"]');
      if (select && prefs[name]) select.value = prefs[name];
    });
  }
  if (mode === "scroll") {
    applyPrefs(loadPrefs());
    panel.querySelectorAll("[data-pref]").forEach(function (select) {
      select.addEventListener("change", function () {
        const prefs = loadPrefs();
        prefs[select.dataset.pref] = select.value;
        try { localStorage.setItem(PREFS_KEY, JSON.stringify(prefs)); } catch (e) { /* private mode: keep for now */ }
        applyPrefs(prefs);
      });
    });
  }

  // --- scrolling: follow the text unless the reader scrolled back -----------------------------------------
  function atBottom() { return view.scrollHeight - view.scrollTop - view.clientHeight < 40; }
  function followText() {
    if (mode !== "scroll") return;
    if (state.stick) {
      view.scrollTop = view.scrollHeight;
    } else if (newBelow) {
      newBelow.hidden = false;
    }
  }
  if (mode === "scroll") {
    view.addEventListener("scroll", function () {
      state.stick = atBottom();
      if (state.stick && newBelow) newBelow.hidden = true;
    });
    if (newBelow) newBelow.addEventListener("click", function () {
      state.stick = true;
      newBelow.hidden = true;
      view.scrollTop = view.scrollHeight;
      view.focus();
    });
  }

  // --- rendering --------------------------------------------------------------------------------------------
  function fill(li, seg) {
    li.textContent = "";
    if (seg.new_turn) {
      li.classList.add("turn");
      const who = document.createElement("span");
      who.className = "speaker";
      who.textContent = seg.speaker ? seg.speaker + ":" : "»";
      li.appendChild(who);
      li.appendChild(document.createTextNode(" "));
    }
    li.appendChild(document.createTextNode(seg.text));
    li.classList.toggle("corrected", (seg.revision || 1) > 1);
    li.classList.toggle("withdrawn", seg.text === "");
  }
  function trim() {
    const limit = mode === "lines" ? maxLines : MAX_SCROLLBACK;
    const keep = mode === "lines" ? limit - (state.tailLines || 0) : limit;
    while (list.children.length > Math.max(keep, 0)) {
      const first = list.firstElementChild;
      state.nodes.delete(Number(first.dataset.seq));
      first.remove();
    }
  }
  function show(seg) {
    const li = document.createElement("li");
    li.className = "caption-line";
    li.dataset.seq = seg.seq;
    fill(li, seg);
    list.appendChild(li);
    state.nodes.set(seg.seq, li);
    if (empty) empty.hidden = true;
  }
  /**
   * Show the live lines: one per captioner writing (``tails``, oldest first), else the merged ``text``.
   * Each line is its own element so two captioners' words never run together.
   */
  function setTail(text, tails) {
    const lines = (tails && tails.length ? tails : [{ captioner: null, text: text || "" }])
      .filter(function (t) { return t.text && t.text.trim(); })
      .slice(mode === "lines" ? -maxLines : 0);   // the room screen and overlay never show more lines than asked
    tailEl.replaceChildren.apply(tailEl, lines.map(function (t) {
      const line = document.createElement("span");
      line.className = "caption-tail-line";
      if (t.captioner && t.captioner.id !== undefined) line.dataset.captioner = t.captioner.id;
      line.textContent = t.text;
      return line;
    }));
    state.tailLines = lines.length;
    tailEl.hidden = !lines.length;
    if (lines.length && empty) empty.hidden = true;
  }

  /** Add a final segment in seq order: duplicates are dropped, what comes after a gap waits for the gap. */
  function add(seg) {
    if (seg.lang !== state.lang) return;
    const ready = log.append(seg.seq, seg);
    if (!ready.length) return;
    ready.forEach(show);
    if (state.tailSeq !== undefined && state.tailSeq < log.seq) setTail("");
    trim();
    followText();
  }

  function fillGap() {
    if (state.filling || !socket.connected) return;
    state.filling = true;
    call(socket, "captions_since", { lang: state.lang, after_seq: log.seq }).then(function (reply) {
      state.filling = false;
      if (!reply.ok || reply.lang !== state.lang) return;
      reply.segments.forEach(add);
      if (reply.more) fillGap();
    });
  }

  function applyBacklog(data) {
    if (data.lang !== state.lang) return;
    data.segments.forEach(add);
    state.synced = true;
    const early = state.early;
    state.early = [];
    early.forEach(add);
    if (data.partial && data.partial.last_seq >= log.seq && !(data.partial.revision < state.tailRevision)) {
      state.tailSeq = data.partial.last_seq;
      state.tailRevision = data.partial.revision || 0;
      setTail(data.partial.text, data.partial.tails);
    }
    trim();
    followText();
    if (data.more) fillGap();
  }

  function reset(lang) {
    state.lang = lang;
    state.tailRevision = 0;
    log.clear();
    state.nodes.clear();
    state.early = [];
    list.textContent = "";
    setTail("");
    if (empty) empty.hidden = false;
  }

  // --- the connection -----------------------------------------------------------------------------------------
  // Not on "connect": the client delivers events that arrived with the connection (the backlog) before it.
  socket.on("disconnect", function () { state.synced = false; });
  socket.on("caption_backlog", applyBacklog);
  socket.on("caption_segment", function (seg) {
    if (!state.synced) { state.early.push(seg); return; }
    add(seg);
  });
  socket.on("caption_partial", function (p) {
    if (p.lang !== state.lang || p.last_seq < log.seq) return;   // older than the lines already shown
    // Several nodes send partials; one sent earlier by another node may arrive after a newer one.
    if (p.revision < state.tailRevision) return;
    state.tailSeq = p.last_seq;
    state.tailRevision = p.revision || 0;
    setTail(p.text, p.tails);
    trim();
    followText();
  });
  socket.on("caption_corrected", function (c) {
    if (c.lang !== state.lang) return;
    const li = state.nodes.get(c.seq);
    if (li) {
      const speaker = li.querySelector(".speaker");
      fill(li, { text: c.text, revision: c.revision, new_turn: !!speaker,
                 speaker: speaker && speaker.textContent !== "»" ? speaker.textContent.replace(/:$/, "") : null });
    }
  });
  onSessionState(function (s) {
    if (s.session_id !== panel.dataset.session) return;
    if (ended) ended.hidden = s.state !== "ended";
    if (empty && !list.children.length) {
      empty.textContent = s.state === "live" ? t("Waiting for the captioner…") : t("Captions appear here when the session is live.");
    }
  });

  // --- language switch (session page) ----------------------------------------------------------------------
  const langSelect = panel.querySelector("[data-captions-lang]");
  if (langSelect) {
    langSelect.addEventListener("change", function () {
      const lang = langSelect.value;
      reset(lang);
      state.synced = false;
      call(socket, "captions_subscribe", { lang: lang, last_seq: null }).then(function (reply) {
        if (reply.ok) applyBacklog(reply);
      });
      const url = new URL(window.location.href);
      url.searchParams.set("lang", lang);
      history.replaceState(null, "", url);
      panel.querySelectorAll("[data-download]").forEach(function (a) {
        const link = new URL(a.href);
        link.searchParams.set("lang", lang);
        a.href = link.toString();
      });
      // The captions carry their own language; the page stays in the interface language.
      list.lang = lang;
      tailEl.lang = lang;
    });
  }

  // Called at every (re)connection: the server replays what came after the last seq held.
  return function resumeAuth() {
    return { lang: state.lang, last_seq: log.seq > 0 ? log.seq : null };
  };
}
