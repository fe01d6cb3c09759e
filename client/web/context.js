/* What the page says about itself, read in one place: the role token (only ever the ``?t=`` of the address), the
   meeting, session and language a panel belongs to, the meeting's time zone, and the ``auth`` payload each
   Socket.IO namespace is opened with. Templates put these in data attributes; nothing else reads them raw. */

/** The role token of this page's link (moderator, captioner, rapporteur, admin), or null for public pages. */
export function roleToken() {
  const token = new URLSearchParams(window.location.search).get("t");
  return token ? token : null;
}

/** The meeting's IANA time zone (``data-timezone`` on <body>), or undefined to fall back to the browser's. */
export function meetingTimeZone() {
  return document.body.dataset.timezone || undefined;
}

/** The interface language's localized GMT pattern (``data-gmt-format`` on <body>: "GMT{0}", "UTC{0}"), if given. */
export function gmtFormat() {
  return document.body.dataset.gmtFormat || undefined;
}

/** The meeting, session and language of a panel, from its ``data-meeting``, ``data-session``, ``data-lang``. */
export function panelContext(el) {
  const data = (el && el.dataset) || {};
  return { meeting: data.meeting, session: data.session, lang: data.lang };
}

/** The element that carries the page's own context: the first one with ``data-meeting``. */
export function pageElement() {
  return document.querySelector("[data-meeting]");
}

/**
 * The ``auth`` payload of a namespace for a panel. ``/live`` is public and never carries the token (a participant
 * is known by the meeting's cookie); ``/moderate`` and ``/caption`` need the role token.
 */
export function namespaceAuth(namespace, el) {
  const ctx = panelContext(el);
  const auth = { meeting: ctx.meeting };
  if (ctx.session) auth.session = ctx.session;
  if (ctx.lang) auth.lang = ctx.lang;
  const token = roleToken();
  if (token && namespace !== "/live") auth.t = token;
  return auth;
}

/** ``path`` with this page's role token (``?t=``) and extra query parameters, for links and fetches. */
export function withToken(path, params) {
  const query = new URLSearchParams();
  const token = roleToken();
  if (token) query.set("t", token);
  Object.keys(params || {}).forEach(function (k) { query.set(k, params[k]); });
  const text = query.toString();
  return text ? path + "?" + text : path;
}
