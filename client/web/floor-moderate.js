/* The chair's floor panel: call next (and see why), call anyone, move with a reason, add a hand raised in the room
   from the keyboard, decline, end, close and reopen, policy, time limit, group budgets, interventions and the
   audit log. Runs on the page's /moderate connection; the floor state is kept by seq. */
import { call, onConnect } from "./connection.js";
import { byId as $, el, say, sentence, typing } from "./dom.js";
import { KINDS, MODES, PARTS, POLICIES, policyName, renderCard, renderPart, renderQueue, Timer } from "./floor-view.js";
import { countryName, t } from "./i18n.js";
import { SeqStore } from "./seq-store.js";
import { clock, timeElement } from "./time.js";

const ACTIONS = { floor_requested: t("asked for the floor"), floor_withdrawn: t("withdrawn"),
  floor_granted: t("given the floor"), floor_declined: t("declined for now"), intervention_ended: t("intervention ended"),
  floor_request_moved: t("moved"), floor_list_closed: t("list closed"), floor_list_reopened: t("list reopened"),
  floor_policy_changed: t("order changed"), floor_time_limit_set: t("speaking time set"),
  floor_group_budget_set: t("group budget set"), intervention_paused: t("gave way to an interposed question"),
  intervention_resumed: t("resumed"), floor_part_changed: t("part changed") };

/** Run the chair's panel (``[data-floor="moderator"]``) on the page's /moderate connection. */
export function mountFloorModerator(panel, socket) {
  const store = new SeqStore();  // "floor": the session's floor state
  const timer = new Timer(panel.querySelector("[data-floor-timer]"));
  const status = $("flm-status");
  let countriesLoaded = false;

  function act(event, payload, done) {
    return call(socket, event, payload || {}).then(function (r) {
      if (!r.ok) say(status, sentence(r.error.message), "error");
      else if (done) say(status, done);
      return r;
    });
  }

  function button(text, kind, label, onClick) {
    const b = el("button", { type: "button", class: "small " + (kind || ""), text: text, "aria-label": label });
    b.addEventListener("click", onClick);
    return b;
  }

  function rowControls(row, count) {
    const short = row.name;
    const box = el("div", { class: "fl-row-side" });
    box.appendChild(el("p", { class: "fl-reason", dir: "auto", text: row.reason }));
    const buttons = el("div", { class: "q-buttons" });
    buttons.appendChild(button(t("Give the floor"), "", t("Give the floor to {name}", { name: short }), function () {
      act("floor_call", { request_id: row.id }, t("{name} has the floor.", { name: short }));
    }));
    if (row.tier === "end") {
      buttons.appendChild(button(t("Place next"), "secondary", t("Place the right of reply of {name} next", { name: short }), function () {
        act("floor_move", { request_id: row.id, position: 1, reason: "right of reply placed next by the chair" });
      }));
    }
    if (row.tier !== "point_of_order") {
      if (row.position > 1) buttons.appendChild(button("↑", "secondary", t("Move {name} up", { name: short }), function () {
        act("floor_move", { request_id: row.id, position: row.position - 1 });
      }));
      if (row.position < count) buttons.appendChild(button("↓", "secondary", t("Move {name} down", { name: short }), function () {
        act("floor_move", { request_id: row.id, position: row.position + 1 });
      }));
    }
    buttons.appendChild(button(t("Remove"), "danger", t("Remove {name} from the list", { name: short }), function () {
      act("floor_withdraw", { request_id: row.id }, t("{name} was taken off the list.", { name: short }));
    }));
    box.appendChild(buttons);
    if (row.tier !== "point_of_order") {
      const pos = el("input", { type: "number", min: 1, max: count, value: row.position, id: "flm-pos-" + row.id });
      const why = el("input", { type: "text", maxLength: 300, id: "flm-why-" + row.id, placeholder: t("optional") });
      const form = el("form", { class: "fl-move" }, [
        el("label", { for: "flm-pos-" + row.id, text: t("Position") }), pos,
        el("label", { for: "flm-why-" + row.id, text: t("Reason") }), why,
        el("button", { type: "submit", class: "small secondary", text: t("Move") })]);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        act("floor_move", { request_id: row.id, position: Number(pos.value), reason: why.value },
            t("{name} moved to position {n}.", { name: short, n: pos.value }));
      });
      box.appendChild(el("details", { class: "fl-move-box" }, [el("summary", { text: t("Move to…") }), form]));
    }
    return box;
  }

  function renderSpoken(floor) {
    const body = $("flm-spoken");
    body.replaceChildren();
    floor.interventions.forEach(function (i) {
      const end = i.end_ms === null ? t("speaking") : clock(i.end_ms - i.start_ms - (i.paused_ms || 0));
      body.appendChild(el("tr", {}, [
        el("td", { text: i.id }),
        el("td", { dir: "auto", text: (i.read_by ? t("{reader} reading", { reader: i.read_by }) + " " : "") + i.name +
          (i.organisation ? ", " + i.organisation : "") + (KINDS[i.kind] ? " · " + KINDS[i.kind] : "") +
          (i.part ? " · " + (PARTS[i.part] || i.part) : "") }),
        el("td", { text: i.group_label }), el("td", { text: MODES[i.mode] || i.mode }),
        el("td", {}, [timeElement(i.called_ms, "medium")]), el("td", { text: end }),
        el("td", { text: clock(i.called_ms - i.requested_ms) })]));
    });
    $("flm-spoken-count").textContent = String(floor.interventions.length);
    const reply = $("flm-reply"), keep = reply.value;
    reply.replaceChildren();
    floor.interventions.slice().reverse().forEach(function (i) {
      reply.appendChild(el("option", { value: i.id, text: i.id + ": " + i.name }));
    });
    if (keep) reply.value = keep;
  }

  function renderSettings(floor) {
    const policy = $("flm-policy");
    if (!policy.options.length) {
      floor.policies.forEach(function (p) { policy.appendChild(el("option", { value: p.key, text: POLICIES[p.key] || p.label })); });
    }
    if (document.activeElement !== policy) policy.value = floor.policy;
    const part = $("flm-part");
    if (document.activeElement !== part) part.value = floor.part || "";
    renderPart(panel.querySelector("[data-floor-part]"), floor.part);
    const limit = $("flm-limit");
    if (document.activeElement !== limit) limit.value = floor.time_limit_s === null ? 0 : floor.time_limit_s / 60;
    $("flm-open-close").textContent = floor.open ? t("Close the list") : t("Reopen the list");
    panel.querySelector("[data-floor-policy]").textContent = policyName(floor);
    panel.querySelector("[data-floor-closed]").hidden = floor.open;
    const budgets = $("flm-budgets");
    budgets.replaceChildren();
    floor.budgets.forEach(function (b) {
      const used = Math.min(100, 100 * b.used_ms / b.budget_ms);
      const bar = el("span", { class: "fl-bar" }), track = el("span", { class: "fl-track" }, [bar]);
      bar.style.width = used + "%";  // through the CSSOM: the CSP forbids style attributes
      budgets.appendChild(el("li", { class: "fl-budget" + (b.over ? " fl-over" : "") }, [
        el("span", { class: "fl-budget-name", text: b.label }),
        track,
        el("span", { class: "fl-budget-left", text: b.over
          ? t("over by {over} of {budget}", { over: clock(b.used_ms - b.budget_ms), budget: clock(b.budget_ms) })
          : t("{left} left of {budget}", { left: clock(b.remaining_ms), budget: clock(b.budget_ms) }) })]));
    });
  }

  function render() {
    const floor = store.get("floor");
    renderCard(panel.querySelector("[data-floor-card]"), floor.current, floor.paused);
    timer.sync(floor);
    const count = floor.queue.length;
    renderQueue($("flm-queue"), floor.queue, 0, function (row) { return rowControls(row, count); });
    $("flm-empty").hidden = count > 0;
    $("flm-count").textContent = String(count);
    $("flm-end").hidden = !floor.current;
    $("flm-decline").hidden = !floor.current;
    const resumes = floor.paused && !(floor.queue[0] && floor.queue[0].tier === "interposed");
    $("flm-next").disabled = count === 0 && !resumes;
    const next = floor.queue[0];
    $("flm-next").textContent = resumes ? t("Back to {name}", { name: floor.paused.name })
      : next ? t("Call next: {name}", { name: next.read_by || next.name }) : t("Call next");
    $("flm-next-why").textContent = !resumes && next ? t("Next because: {reason}.", next) : "";
    renderSettings(floor);
    renderSpoken(floor);
  }

  function renderCandidates(people) {
    const select = $("flm-presenter"), keep = select.value, marked = select.dataset.marked;
    select.replaceChildren();
    people.forEach(function (p) {
      select.appendChild(el("option", { value: String(p.participant_id),
        text: p.name + (p.organisation ? ", " + p.organisation : "") + (p.presenter ? marked : "") }));
    });
    if (keep) select.value = keep;
    $("flm-present-none").hidden = people.length > 0;
  }

  function refresh() {
    call(socket, "floor_state", {}).then(function (r) {
      if (!r.ok) return say(status, sentence(r.error.message), "error");
      if (!countriesLoaded) {
        const select = $("flm-country");
        r.countries.map(function (c) { return [c[0], countryName(c[0]) || c[1]]; })
          .sort(function (a, b) { return a[1].localeCompare(b[1]); })
          .forEach(function (c) { select.appendChild(el("option", { value: c[0], text: c[1] })); });
        countriesLoaded = true;
      }
      renderCandidates(r.candidates);
      if (store.put("floor", r.floor, r.floor.seq)) render();
    });
  }

  socket.on("floor_changed", function (m) {
    if (m.session_id === panel.dataset.session && store.put("floor", m.floor, m.floor.seq)) render();
  });
  onConnect(socket, refresh);

  $("flm-next").addEventListener("click", function () {
    const next = store.get("floor") && store.get("floor").queue[0];   // the list is already in the policy's order
    act("floor_call_next", {}).then(function (r) {
      if (!r.ok) return;
      say(status, next ? t("{name} has the floor.", { name: next.read_by || next.name })
        : t("The next speaker has the floor."));
    });
  });
  $("flm-end").addEventListener("click", function () { act("floor_end", {}, t("Intervention ended.")); });
  $("flm-decline").addEventListener("click", function () {
    const cur = store.get("floor") && store.get("floor").current;
    if (cur) act("floor_decline", { request_id: cur.request_id }, t("{name} declined for now.", cur));
  });
  $("flm-policy").addEventListener("change", function () {
    act("floor_policy", { policy: $("flm-policy").value }, t("Order of speakers changed."));
  });
  $("flm-limit").addEventListener("change", function () {
    const minutes = Number($("flm-limit").value);
    act("floor_time_limit", { seconds: minutes > 0 ? Math.round(minutes * 60) : null },
        minutes > 0 ? t("Speaking time: {time} from the next speaker.", { time: clock(minutes * 60000) })
          : t("No speaking time limit."));
  });
  $("flm-part").addEventListener("change", function () {
    const part = $("flm-part").value;
    if (part) act("floor_part", { part: part }, t("The session is now in part: {part}.", { part: PARTS[part] || part }));
  });
  // Who may present changes as people join: the list is asked for again whenever the chair opens it.
  $("flm-presenter").addEventListener("focus", refresh);
  $("flm-present").addEventListener("submit", function (e) {
    e.preventDefault();
    const select = $("flm-presenter");
    if (!select.value) return say(status, t("Choose a presenter first."), "error");
    const name = select.options[select.selectedIndex].text;
    act("floor_present", { participant_id: Number(select.value) }, t("{name} has the floor for a presentation.", { name: name }));
  });
  $("flm-settings").addEventListener("submit", function (e) { e.preventDefault(); });
  $("flm-open-close").addEventListener("click", function () {
    const open = store.get("floor") ? store.get("floor").open : true;
    act(open ? "floor_close" : "floor_reopen", {}, open ? t("The list of speakers is closed.") : t("The list is open again."));
  });

  const kind = $("flm-kind");
  kind.addEventListener("change", function () {
    $("flm-reply-field").hidden = $("flm-placement-field").hidden = kind.value !== "right_of_reply";
    $("flm-behalf-field").hidden = kind.value !== "on_behalf";
  });
  $("flm-add").addEventListener("submit", function (e) {
    e.preventDefault();
    const name = $("flm-name").value.trim();
    if (!name) { $("flm-name").focus(); return say(status, t("Type the name of the person first."), "error"); }
    const payload = { name: name, organisation: $("flm-org").value, group: $("flm-group").value,
                      country: $("flm-country").value, mode: $("flm-mode").value, kind: kind.value };
    if (kind.value === "right_of_reply") { payload.reply_to = $("flm-reply").value; payload.placement = $("flm-placement").value; }
    if (kind.value === "on_behalf") payload.on_behalf_of = $("flm-behalf").value;
    const event = { presentation: "floor_present", interposed_question: "floor_interpose" }[kind.value] || "floor_add";
    if (event !== "floor_add") delete payload.kind;
    act(event, payload).then(function (r) {
      if (!r.ok) return;
      say(status, event === "floor_present" ? t("{name} has the floor for a presentation.", { name: name })
        : event === "floor_interpose" ? t("Interposed question added for {name}.", { name: name })
          : t("{name} added to the list.", { name: name }));
      // Group, place and kind stay as they were: the next hand is often from the same part of the room.
      $("flm-name").value = "";
      $("flm-org").value = "";
      $("flm-country").value = "";
      $("flm-name").focus();
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "+" && !typing(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      $("flm-name").focus();
    }
  });

  $("flm-budget").addEventListener("submit", function (e) {
    e.preventDefault();
    const minutes = Number($("flm-budget-min").value);
    act("floor_group_budget", { group: $("flm-budget-group").value, seconds: minutes > 0 ? Math.round(minutes * 60) : null },
        t("Budget set."));
  });

  $("flm-audit-load").addEventListener("click", function () {
    act("floor_audit", {}).then(function (r) {
      if (!r.ok) return;
      const body = $("flm-audit-rows");
      body.replaceChildren();
      r.entries.forEach(function (e) {
        const d = e.details, bits = [];
        if (d.person) bits.push(t("{name} ({group}, {mode})", { name: d.person.name, group: d.person.group, mode: MODES[d.person.mode] || d.person.mode }));
        if (d.kind && d.kind !== "normal") bits.push(KINDS[d.kind] || d.kind.replace(/_/g, " "));
        if (d.reason) bits.push(d.reason);
        if (d.to_position) bits.push(d.from_position + " → " + d.to_position);
        if (d.policy) bits.push(POLICIES[d.policy] || d.policy);
        if (d.part) bits.push(PARTS[d.part] || d.part);
        if (d.seconds !== undefined) bits.push(d.seconds === null ? t("none") : t("{n} s", { n: d.seconds }));
        if (d.question_id) bits.push(t("question {id}", { id: d.question_id }));
        body.appendChild(el("tr", {}, [el("td", {}, [timeElement(e.at_ms, "medium")]), el("td", { text: e.actor.label }),
          el("td", { text: ACTIONS[e.name] || e.name }),
          el("td", { text: [e.request_id, e.intervention_id].filter(Boolean).join(" / ") }),
          el("td", { text: bits.join(" · ") })]));
      });
    });
  });
}
