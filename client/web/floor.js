/* The participant's floor panel: ask for the floor, see one's place and expected wait live, withdraw, or decline
   "for now". The public floor state and the participant's own requests ("mine") are kept by seq in one store. */
import { call, onConnect } from "./connection.js";
import { byId as $, el, say, sentence } from "./dom.js";
import { policyName, reasonText, renderCard, renderPart, renderQueue, Timer } from "./floor-view.js";
import { t } from "./i18n.js";
import { SeqStore } from "./seq-store.js";
import { onSessionState } from "./session.js";
import { waitText } from "./time.js";

/* This module's words about interposed questions, in one place for translation. */

/** Run the participant panel (``[data-floor="participant"]``) on the page's /live connection. */
export function mountFloor(panel, socket) {
  const store = new SeqStore();  // "floor": the public state; "mine": ids of this participant's requests
  const timer = new Timer(panel.querySelector("[data-floor-timer]"));
  const mine = function () { return store.get("mine") || []; };
  const form = $("fl-form"), status = $("fl-status"), kind = $("fl-kind");
  // Asking, withdrawing and declining apply only while the session is live; the page says why they are gone.
  let live = panel.dataset.state === "live";

  function showClosed() {
    const note = $("fl-closed");
    if (!note) return;
    note.hidden = live;
    note.textContent = panel.dataset.state === "ended" ? t("This session has ended.")
      : t("You can ask for the floor once the session has started.");
  }

  /** "You are on the list" is true only while she waits: it goes once she speaks, leaves the list or the end. */
  function forgetQueued(found) {
    if (status && status.dataset.about === "queued" && (!found || found.speaking)) {
      say(status, "");
      delete status.dataset.about;
    }
  }

  function myRequest(floor) {
    if (floor.current && mine().indexOf(floor.current.request_id) >= 0) return { speaking: true, row: floor.current };
    const row = floor.queue.find(function (r) { return mine().indexOf(r.id) >= 0; });
    return row ? { speaking: false, row: row } : null;
  }

  function renderMine(floor) {
    if (!form) return;
    const found = live ? myRequest(floor) : null;
    forgetQueued(found);
    $("fl-mine").hidden = !found;
    form.hidden = !!found || !live;
    $("fl-decline").hidden = !(found && found.speaking);
    $("fl-withdraw").hidden = !(found && !found.speaking);
    panel.dataset.mine = found ? (found.speaking ? "speaking" : "waiting") : "none";
    if (!found) return;
    if (found.speaking) {
      $("fl-mine-text").textContent = t("You have the floor.");
      $("fl-mine-wait").textContent = t("Not ready? Decline for now and keep your place once.");
      return;
    }
    const row = found.row;
    $("fl-mine-text").textContent = row.position === 1 ? t("You are next.")
      : t("You are number {n} in the list.", { n: row.position });
    const wait = row.expected_wait_ms === null ? null : waitText(row.expected_wait_ms);
    $("fl-mine-wait").textContent = row.reason
      ? (wait === null ? t("Expected wait not known yet ({reason}).", { reason: reasonText(row) })
        : t("Expected wait: {wait} ({reason}).", { wait: wait, reason: reasonText(row) }))
      : (wait === null ? t("Expected wait not known yet.") : t("Expected wait: {wait}.", { wait: wait }));
  }

  function renderInterpose(floor) {
    const box = $("fl-interpose-box");
    if (!box) return;
    const cur = floor.current, speaker = floor.paused || cur;
    const mineSpeaking = cur && mine().indexOf(cur.request_id) >= 0;
    const asked = floor.queue.some(function (r) { return r.kind === "interposed_question" && mine().indexOf(r.id) >= 0; });
    box.hidden = !live || !speaker || speaker.kind === "point_of_order" || mineSpeaking || asked ||
      (floor.paused && mine().indexOf(floor.paused.request_id) >= 0);
  }

  function renderReplies(floor) {
    const select = $("fl-reply");
    if (!select) return;
    const keep = select.value;
    select.replaceChildren();
    floor.spoken.slice().reverse().forEach(function (i) {
      select.appendChild(el("option", { value: i.id, text: i.group_label ? t("{name} ({group})", { name: i.name, group: i.group_label }) : i.name }));
    });
    if (keep) select.value = keep;
    const none = floor.spoken.length === 0;
    kind.querySelector('option[value="right_of_reply"]').disabled = none;
  }

  function render() {
    const floor = store.get("floor");
    renderCard(panel.querySelector("[data-floor-card]"), floor.current, floor.paused);
    renderPart(panel.querySelector("[data-floor-part]"), floor.part);
    timer.sync(floor);
    renderQueue($("fl-queue"), floor.queue, 5, function (row) {
      return mine().indexOf(row.id) >= 0 ? el("span", { class: "fl-you", text: t("You") }) : null;
    });
    $("fl-empty").hidden = floor.queue.length > 0;
    panel.querySelector("[data-floor-policy]").textContent = policyName(floor);
    panel.querySelector("[data-floor-closed]").hidden = floor.open;
    renderMine(floor);
    renderInterpose(floor);
    renderReplies(floor);
  }

  function refresh() {
    call(socket, "floor_state", {}).then(function (r) {
      if (!r.ok) return say(status, r.error.message, "error");
      store.put("mine", r.mine, r.floor.seq);
      store.put("floor", r.floor, r.floor.seq);
      render();
    });
  }

  socket.on("floor_changed", function (m) {
    if (m.session_id === panel.dataset.session && store.put("floor", m.floor, m.floor.seq)) render();
  });
  socket.on("floor_mine", function (m) {
    if (m.session_id !== panel.dataset.session || !store.put("mine", m.requests, m.seq)) return;
    if (store.get("floor")) render();
  });
  onConnect(socket, refresh);
  onSessionState(function (state) {
    if (state.session_id !== panel.dataset.session) return;
    panel.dataset.state = state.state;
    live = state.state === "live";
    showClosed();
    if (store.get("floor")) render();
    else if (form) form.hidden = !live;
  });

  if (!form) return;
  kind.addEventListener("change", function () {
    $("fl-behalf-field").hidden = kind.value !== "on_behalf";
    $("fl-reply-field").hidden = kind.value !== "right_of_reply";
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const payload = { kind: kind.value, language: $("fl-language").value };
    if ($("fl-theme") && $("fl-theme").value) payload.theme = $("fl-theme").value;
    if (kind.value === "on_behalf") payload.on_behalf_of = $("fl-behalf").value;
    if (kind.value === "right_of_reply") payload.reply_to = $("fl-reply").value;
    $("fl-ask").disabled = true;
    call(socket, "floor_request", payload).then(function (r) {
      $("fl-ask").disabled = false;
      if (!r.ok) return say(status, sentence(r.error.message), "error");
      if (mine().indexOf(r.request_id) < 0) store.put("mine", mine().concat([r.request_id]), store.seqOf("mine"));
      say(status, t("You are on the list of speakers."));
      status.dataset.about = "queued";
      if (store.get("floor")) render();
    });
  });
  function act(event, done) {
    const found = store.get("floor") && myRequest(store.get("floor"));
    if (!found) return;
    call(socket, event, { request_id: found.row.request_id || found.row.id }).then(function (r) {
      say(status, r.ok ? done : sentence(r.error.message), r.ok ? "ok" : "error");
    });
  }
  $("fl-interpose").addEventListener("click", function () {
    $("fl-interpose").disabled = true;
    call(socket, "floor_interpose", { language: $("fl-language").value }).then(function (r) {
      $("fl-interpose").disabled = false;
      if (!r.ok) return say(status, sentence(r.error.message), "error");
      if (mine().indexOf(r.request_id) < 0) store.put("mine", mine().concat([r.request_id]), store.seqOf("mine"));
      say(status, t("Your question is next: the speaker answers it before the list goes on."));
      if (store.get("floor")) render();
    });
  });
  $("fl-withdraw").addEventListener("click", function () { act("floor_withdraw", t("Your request was withdrawn.")); });
  $("fl-decline").addEventListener("click", function () {
    act("floor_decline", t("You declined for now; you keep your place in the list once."));
  });
}
