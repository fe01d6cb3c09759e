/* Pages that work over plain HTTP, with no live connection: the registration form (hub fields shown only for a
   remote hub), the admin page's "copy link" buttons, and the rapporteur's transcript editor, which saves changed
   segments as a new version and then shows its differences. */
import { withToken } from "./context.js";
import { t, tn } from "./i18n.js";

/** Registration form: show the hub fields only when "through a remote hub" is chosen. */
export function mountJoinForm(hub) {
  function update() {
    const mode = document.querySelector('input[name="mode"]:checked');
    hub.hidden = !(mode && mode.value === "hub");
  }
  document.querySelectorAll('input[name="mode"]').forEach(function (el) { el.addEventListener("change", update); });
  update();
}

/** A "Copy" button beside a read-only link field (admin page, captioner page): it copies what the field shows, with
    the Clipboard API where the page may use it, else by selecting the field and the browser's copy command; when
    neither works the text stays selected and the button says how to copy it. */
export function mountCopyButton(button) {
  const label = button.textContent;
  // The button's own name stays "Copy …" for screen readers: the outcome is also said in a live region.
  const said = document.createElement("span");
  said.className = "visually-hidden";
  said.setAttribute("role", "status");
  button.after(said);
  let timer = null;
  function tell(text) {
    button.textContent = text;
    said.textContent = text;
    clearTimeout(timer);
    timer = setTimeout(function () { button.textContent = label; }, 2500);
  }
  button.addEventListener("click", function () {
    const input = button.parentElement.querySelector("input.link");
    const text = input ? input.value : button.dataset.copy;
    function bySelection() {
      if (input) { input.focus(); input.select(); }
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      tell(copied ? t("Copied") : t("Selected: press Ctrl+C"));
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { tell(t("Copied")); }, bySelection);
    } else {
      bySelection();
    }
  });
}

/** Rapporteur page: the transcript editor (``#edit-form`` inside ``#editor``). */
export function mountTranscriptEditor(form) {
  const head = document.querySelector(".session-head");
  const editor = document.getElementById("editor");
  const slug = head.dataset.meeting, sid = head.dataset.session;
  const save = document.getElementById("edit-save");
  const changedLabel = document.getElementById("edit-changed");
  const status = document.getElementById("edit-status");
  const author = document.getElementById("edit-author");
  const note = document.getElementById("edit-note");
  const NAME_KEY = "floorcast-editor-name";
  author.value = localStorage.getItem(NAME_KEY) || "";
  let base = Number(editor.dataset.base);

  function fit(area) { area.style.height = "auto"; area.style.height = area.scrollHeight + 2 + "px"; }

  function changedRows() {
    return Array.from(form.querySelectorAll(".rp-seg")).filter(function (row) {
      const sp = row.querySelector(".rp-speaker"), tx = row.querySelector(".rp-text");
      const changed = sp.value.trim() !== sp.dataset.original || tx.value.trim().replace(/\s+/g, " ") !== tx.dataset.original;
      row.classList.toggle("rp-dirty", changed);
      return changed;
    });
  }

  function refresh() {
    const n = changedRows().length;
    save.disabled = n === 0;
    changedLabel.textContent = n === 0 ? t("No changes") : tn("{n} segment changed", "{n} segments changed", n);
  }

  function tell(text, kind) { status.textContent = text; status.dataset.kind = kind; }

  form.querySelectorAll(".rp-text").forEach(fit);
  form.addEventListener("input", function (ev) {
    if (ev.target.classList.contains("rp-text")) fit(ev.target);
    refresh();
  });

  async function showDiff(version) {
    const url = withToken("/m/" + encodeURIComponent(slug) + "/s/" + encodeURIComponent(sid) + "/transcript/diff",
                          { to: version });
    const r = await fetch(url, { headers: { Accept: "text/html" } });
    // The fragment is rendered by the server's autoescaping template: caption text arrives as text.
    if (r.ok) document.getElementById("diff").innerHTML = await r.text();
  }

  function addVersion(version, who, count, noteText) {
    const list = document.getElementById("versions");
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = withToken("", { diff: version }) + "#ver-h";
    a.textContent = t("Version {number}", { number: version });
    const author = document.createElement("span");
    author.dir = "auto";
    author.textContent = who;
    li.append(a, " " + t("by") + " ", author, " ");
    const meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = tn("(just now, {n} segment)", "(just now, {n} segments)", count);
    li.append(meta);
    if (noteText) li.append(": " + noteText);
    list.prepend(li);
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const rows = changedRows();
    if (!rows.length) return;
    if (!author.value.trim()) { author.focus(); tell(t("Type your name: it is recorded with the version."), "error"); return; }
    localStorage.setItem(NAME_KEY, author.value.trim());
    const edits = rows.map(function (row) {
      return { lang: row.dataset.lang, seq: Number(row.dataset.seq), text: row.querySelector(".rp-text").value,
               speaker: row.querySelector(".rp-speaker").value.trim() || null };
    });
    save.disabled = true;
    tell(t("Saving…"), "info");
    try {
      const r = await fetch(withToken("/api/meetings/" + encodeURIComponent(slug) + "/sessions/" +
        encodeURIComponent(sid) + "/transcript/versions"), {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ edits: edits, author: author.value.trim(), note: note.value.trim(), base: base }) });
      const body = await r.json();
      if (!r.ok) { tell(body.error ? body.error.message : t("The version was not saved."), "error"); refresh(); return; }
      base = body.version;
      rows.forEach(function (row) {
        const sp = row.querySelector(".rp-speaker"), tx = row.querySelector(".rp-text");
        sp.dataset.original = sp.value.trim();
        tx.value = tx.value.trim().replace(/\s+/g, " ");
        tx.dataset.original = tx.value;
      });
      addVersion(body.version, author.value.trim(), body.changed, note.value.trim());
      note.value = "";
      save.textContent = t("Save as version {number}", { number: body.version + 1 });
      tell(t("Saved as version {number}.", { number: body.version }), "ok");
      refresh();
      await showDiff(body.version);
    } catch (err) {
      tell(t("Cannot reach the server: your changes are still here; try again."), "error");
      refresh();
    }
  });
  refresh();
}
