/* The captioner page: the edit box sends what changed (new characters, backspaces, line breaks) over /caption,
 * one message at a time; lines the server finalised leave the box. Finished lines can be corrected; captioner
 * handovers are listed with their time in the meeting's zone. Window mode (for CAT programs that re-send their last
 * lines) is remembered in localStorage: it adds ``window: true`` to each message and switches the addresses shown. */
import { call } from "./connection.js";
import { languageName, t } from "./i18n.js";
import { captionerLabel, onSessionState } from "./session.js";
import { timeElement } from "./time.js";

const RECENT = 30;
const WINDOW_KEY = "floorcast.captioner.window";

/** Run the captioner page on its /caption connection. */
export function mountCaptioner(root, socket) {
  const box = root.querySelector("[data-caption-input]");
  const status = root.querySelector("[data-caption-status]");
  const errorEl = root.querySelector("[data-caption-error]");
  const recent = root.querySelector("[data-recent]");
  const handovers = root.querySelector("[data-handovers]");
  const langSelect = root.querySelector("[data-captioner-lang]");
  const notLive = root.querySelector("[data-not-live]");

  const windowBox = root.querySelector("[data-window-mode]");
  const ingestInputs = Array.from(root.querySelectorAll("[data-window-value]"));

  let lang = root.dataset.lang;
  let sent = "";          // the part of the box the server has (its live tail ends with it)
  let busy = false;

  function showError(reply) {
    errorEl.textContent = reply && !reply.ok ? reply.error.message : "";
  }

  /** What to send so the server's tail matches the box: backspaces for removed characters, then new ones. */
  function diff(before, after) {
    let common = 0;
    while (common < before.length && common < after.length && before[common] === after[common]) common++;
    return "\b".repeat(before.length - common) + after.slice(common);
  }

  function pump() {
    if (busy || !socket.connected) return;
    const value = box.value;
    const text = diff(sent, value);
    if (!text) return;
    busy = true;
    const message = { lang: lang, text: text };
    if (windowBox && windowBox.checked) message.window = true;
    call(socket, "caption_append", message).then(function (reply) {
      busy = false;
      showError(reply);
      if (reply.ok) {
        sent = value;
        dropFinalised(reply.tail);
        status.textContent = reply.finalised.length ? t("Line {n} sent", { n: reply.last_seq }) : "";
      }
      pump();
    });
  }

  /** The server finalised the start of what we sent: take it out of the box, keep what was typed since. */
  function dropFinalised(tail) {
    const cleaned = sent.replace(/\t/g, " ");
    if (tail.length > cleaned.length || (tail && !cleaned.endsWith(tail)) || !box.value.startsWith(sent)) return;
    const cut = sent.length - tail.length;
    if (cut <= 0) return;
    const start = box.selectionStart, end = box.selectionEnd;
    box.value = box.value.slice(cut);
    sent = sent.slice(cut);
    box.setSelectionRange(Math.max(start - cut, 0), Math.max(end - cut, 0));
  }

  // --- window mode: remembered in localStorage; the addresses shown carry it (the template holds both forms) ---
  function applyWindowMode() {
    const on = !!(windowBox && windowBox.checked);
    ingestInputs.forEach(function (input) {
      if (!input.dataset.plainValue) input.dataset.plainValue = input.value;
      input.value = on ? input.dataset.windowValue : input.dataset.plainValue;
    });
  }
  if (windowBox) {
    try { windowBox.checked = localStorage.getItem(WINDOW_KEY) === "1"; } catch (e) { /* storage unavailable */ }
    windowBox.addEventListener("change", function () {
      try { localStorage.setItem(WINDOW_KEY, windowBox.checked ? "1" : "0"); } catch (e) { /* keep for now */ }
      applyWindowMode();
    });
    applyWindowMode();
  }

  box.addEventListener("input", pump);
  socket.on("connect", function () { pump(); loadRecent(); });

  root.querySelector("[data-caption-flush]").addEventListener("click", function () {
    call(socket, "caption_flush", { lang: lang }).then(function (reply) {
      showError(reply);
      if (reply.ok && box.value.startsWith(sent)) {
        box.value = box.value.slice(sent.length);
        sent = "";
      }
      box.focus();
    });
  });

  langSelect.addEventListener("change", function () {
    const previous = lang;
    call(socket, "caption_flush", { lang: previous }).then(function () {
      lang = langSelect.value;
      box.lang = lang;
      recent.lang = lang;
      box.value = "";
      sent = "";
      loadRecent();
      box.focus();
    });
  });

  // --- recent lines and corrections ---------------------------------------------------------------------
  function lineItem(seg) {
    const li = document.createElement("li");
    li.dataset.seq = seg.seq;
    render(li, seg);
    return li;
  }

  function render(li, seg) {
    li.textContent = "";
    li.className = "recent-line" + (seg.revision > 1 ? " corrected" : "");
    const num = document.createElement("span");
    num.className = "seq";
    num.textContent = "#" + seg.seq;
    const text = document.createElement("span");
    text.className = "text";
    text.dir = "auto";
    text.textContent = (seg.new_turn ? (seg.speaker ? seg.speaker + ": " : "» ") : "") + seg.text;
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "secondary small";
    edit.textContent = t("Edit");
    edit.setAttribute("aria-label", t("Edit line {n}", { n: seg.seq }));
    edit.addEventListener("click", function () { editLine(li, seg); });
    li.append(num, " ", text, " ", edit);
  }

  function editLine(li, seg) {
    li.textContent = "";
    const form = document.createElement("form");
    form.className = "correct-form";
    const input = document.createElement("input");
    input.value = seg.text;
    input.dir = "auto";
    input.setAttribute("aria-label", t("Corrected text of line {n}", { n: seg.seq }));
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = t("Save");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = t("Cancel");
    cancel.addEventListener("click", function () { render(li, seg); });
    form.append(input, save, cancel);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      call(socket, "caption_correct", { lang: lang, seq: seg.seq, text: input.value }).then(function (reply) {
        showError(reply);
        if (reply.ok) {
          seg = Object.assign({}, seg, { text: input.value.trim().replace(/\s+/g, " ") });
          render(li, seg);
        }
      });
    });
    li.appendChild(form);
    input.focus();
  }

  function addRecent(seg) {
    if (seg.lang !== lang || recent.querySelector('[data-seq="' + seg.seq + '"]')) return;
    recent.appendChild(lineItem(seg));
    while (recent.children.length > RECENT) recent.firstElementChild.remove();
  }

  function loadRecent() {
    call(socket, "caption_recent", { lang: lang, count: RECENT }).then(function (reply) {
      if (!reply.ok) { showError(reply); return; }
      recent.textContent = "";
      reply.segments.forEach(addRecent);
    });
  }

  socket.on("caption_segment", addRecent);
  socket.on("caption_corrected", function (c) {
    const li = recent.querySelector('[data-seq="' + c.seq + '"]');
    if (li && c.lang === lang && !li.querySelector("form")) {
      const text = li.querySelector(".text");
      text.textContent = c.text;
      li.classList.add("corrected");
    }
  });
  socket.on("captioner_handed_over", function (h) {
    const li = document.createElement("li");
    li.append(timeElement(h.at_ms, "medium"), " " + t("{from} handed over to {to} ({language})", {
      from: h.from_captioner ? captionerLabel(h.from_captioner) : t("nobody"), to: captionerLabel(h.to_captioner),
      language: languageName(h.lang) }));
    handovers.prepend(li);
  });
  onSessionState(function (s) {
    if (s.session_id === root.dataset.session && notLive) notLive.hidden = s.state === "live";
  });
}
