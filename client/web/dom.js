/* Building the page from data. User text (names, organisations, questions, captions) only ever enters the page
   through these helpers or textContent, as text, never as markup. Also the status lines panels answer in. */

/**
 * Build an element: ``props`` are properties (``text`` sets textContent, ``class`` the class name, ``data-*``,
 * ``aria-*``, ``for`` and ``role`` are attributes), ``kids`` are elements or strings (added as text).
 */
export function el(tag, props, kids) {
  const node = document.createElement(tag);
  Object.keys(props || {}).forEach(function (k) {
    const v = props[k];
    if (v === undefined || v === null || v === false) return;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.slice(0, 5) === "data-" || k.slice(0, 5) === "aria-" || k === "for" || k === "role") node.setAttribute(k, v);
    else node[k] = v;
  });
  (kids || []).forEach(function (kid) {
    if (kid === null || kid === undefined || kid === false) return;
    node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
  });
  return node;
}

/** The element with this id (panels use fixed ids from their templates). */
export function byId(id) {
  return document.getElementById(id);
}

/** Show a message in a status region; ``kind`` is "ok" (default), "error" or "info". */
export function say(node, text, kind) {
  if (!node) return;
  node.textContent = text;
  node.dataset.kind = kind || "ok";
}

/** A server message as a sentence: capital first letter, final full stop. */
export function sentence(message) {
  const m = String(message || "");
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
}

/** Is the keyboard focus in a field where typed characters are text (so shortcuts must not fire)? */
export function typing(target) {
  const t = target;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

/** Replace a list's rows, keeping the element itself (live regions keep their identity). */
export function replaceRows(list, rows) {
  list.replaceChildren.apply(list, rows);
}
