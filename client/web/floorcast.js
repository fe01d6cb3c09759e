/* Shared helpers for every page: times in the meeting's time zone, live session state, socket connections. */
(function () {
  "use strict";
  const Floorcast = {};

  /** Format every <time data-ms> in the meeting's time zone (or the browser's when none is known). */
  Floorcast.formatTimes = function (root, timeZone) {
    const zone = timeZone || document.body.dataset.timezone || undefined;
    const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
    (root || document).querySelectorAll("time[data-ms]").forEach(function (el) {
      const ms = Number(el.dataset.ms);
      if (!Number.isFinite(ms)) return;
      const d = new Date(ms);
      el.dateTime = d.toISOString();
      el.textContent = fmt.format(d);
    });
  };

  /** Update every badge for this session's state (scheduled, live, ended). */
  Floorcast.showState = function (state) {
    document.querySelectorAll('[data-session-state="' + CSS.escape(state.session_id) + '"]').forEach(function (el) {
      el.className = "state state-" + state.state;
      el.textContent = state.state === "live" ? "Live now" : state.state === "ended" ? "Ended" : "Scheduled";
    });
    document.dispatchEvent(new CustomEvent("floorcast:session-state", { detail: state }));
  };

  /** Connect to a Socket.IO namespace with the page's meeting/session context; keeps Socket.IO's reconnection. */
  Floorcast.connect = function (namespace, auth) {
    const socket = io(namespace, { auth: auth, transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
    const status = document.querySelector(".connection");
    function show(text, kind) {
      if (!status) return;
      status.textContent = text;
      status.dataset.status = kind;
    }
    socket.on("connect", function () { show("Connected", "online"); });
    socket.on("disconnect", function () { show("Connection lost, reconnecting…", "offline"); });
    socket.on("connect_error", function (err) {
      show(err && err.message === "forbidden" ? "This link is not valid." : "Cannot reach the server, retrying…", "offline");
    });
    socket.on("session_state", Floorcast.showState);
    (Floorcast.sockets = Floorcast.sockets || {})[namespace] = socket;  // panels of one page share a connection
    return socket;
  };

  /** Call a socket event with an ACK and a timeout; resolves to the ACK ({ok, ...} or {ok:false, error}). */
  Floorcast.call = function (socket, event, payload, timeoutMs) {
    return new Promise(function (resolve) {
      socket.timeout(timeoutMs || 8000).emit(event, payload || {}, function (err, reply) {
        resolve(err ? { ok: false, error: { code: "timeout", message: "The server did not answer in time." } } : reply);
      });
    });
  };

  /** Read the JSON block a template put in <script type="application/json" id=...>. */
  Floorcast.pageData = function (id) {
    const el = document.getElementById(id || "page-data");
    return el ? JSON.parse(el.textContent) : {};
  };

  /** The page's socket for a namespace: reuse the one another panel opened (one connection, one attendance record). */
  Floorcast.shared = function (namespace, auth) {
    const open = Floorcast.sockets && Floorcast.sockets[namespace];
    return open || Floorcast.connect(namespace, auth);
  };

  /** Call ``refresh`` now if connected and after every reconnect (the socket is in its rooms by then). */
  Floorcast.onConnect = function (socket, refresh) {
    socket.on("connect", refresh);
    if (socket.connected) refresh();
  };

  /** Run ``start`` once the document is parsed. */
  Floorcast.ready = function (start) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  };

  /** Build an element: ``props`` are properties (``text`` sets textContent), ``kids`` elements or strings.
      User text only ever enters the page this way, as text. */
  Floorcast.el = function (tag, props, kids) {
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
  };

  window.Floorcast = Floorcast;
  document.addEventListener("DOMContentLoaded", function () { Floorcast.formatTimes(document); });
})();
