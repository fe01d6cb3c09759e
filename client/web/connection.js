/* Socket.IO connections. The bootstrap (app.js) opens one per namespace through ``Connections`` and hands the
   same connection to every panel that uses the namespace, so a page has one /live connection (one attendance
   record) whatever panels it shows. Also: the connection status line, ACK calls with a timeout, "on every
   (re)connect", and the session state pushes every namespace carries. */
import { io } from "./vendor/socket.io.esm.min.js";
import { t } from "./i18n.js";

const CALL_TIMEOUT_MS = 8000;

/** The page's "Connected / reconnecting" line (``.connection``), if it has one. */
function showStatus(text, kind) {
  const status = document.querySelector(".connection");
  if (!status) return;
  status.textContent = text;
  status.dataset.status = kind;
}

/** One connection per namespace, opened on first use and connected when ``connectAll`` is called. */
export class Connections {
  constructor(onSessionState) {
    this.links = new Map();
    this.onSessionState = onSessionState;
  }

  /** The connection of a namespace; the first caller's ``auth`` is its payload (see ``addAuth``). */
  get(namespace, auth) {
    let link = this.links.get(namespace);
    if (!link) {
      link = { auth: auth, extras: [] };
      link.socket = io(namespace, {
        auth: function (cb) {
          cb(link.extras.reduce(function (out, f) { return Object.assign(out, f()); }, Object.assign({}, link.auth)));
        },
        transports: ["websocket", "polling"],
        reconnectionDelayMax: 10000,
        autoConnect: false,  // connected once every panel listens: no push can arrive before its handler
      });
      const socket = link.socket;
      socket.on("connect", function () { showStatus(t("Connected"), "online"); });
      // The link this page was opened with was revoked: say so, and do not reconnect with it.
      socket.on("access_revoked", function (info) {
        // The push goes to every page in the link's room at once: its words are chosen here, by code.
        link.revoked = info && info.code === "link_revoked"
          ? t("This link has been revoked by the organisers. Ask them for a new one.")
          : (info && info.message) || t("This link is no longer valid.");
        showStatus(link.revoked, "revoked");
        socket.disconnect();
      });
      socket.on("disconnect", function (reason) {
        if (link.revoked) {
          showStatus(link.revoked, "revoked");
          return;
        }
        showStatus(t("Connection lost, reconnecting…"), "offline");
        // The server closes every connection when it shuts down or restarts; Socket.IO does not retry a close
        // the server asked for, so ask again (Socket.IO's own back-off applies if the server is gone).
        if (reason === "io server disconnect") socket.connect();
      });
      socket.on("connect_error", function (err) {
        showStatus(err && err.message === "forbidden" ? t("This link is not valid.") : t("Cannot reach the server, retrying…"),
                   "offline");
      });
      if (this.onSessionState) socket.on("session_state", this.onSessionState);
      this.links.set(namespace, link);
    }
    return link.socket;
  }

  /** Add fields computed at every (re)connection to a namespace's auth, e.g. the last caption seq held. */
  addAuth(namespace, fields) {
    this.links.get(namespace).extras.push(fields);
  }

  /** Connect every opened namespace (Socket.IO then reconnects by itself). */
  connectAll() {
    this.links.forEach(function (link) { link.socket.connect(); });
  }
}

/** Event on ``document`` when the server refused an action because the moderator gave no name yet. */
export const NAME_REQUIRED = "floorcast:name-required";

/** Call a socket event with an ACK; resolves to the ACK ({ok, ...}) or to {ok: false, error} on timeout. */
export function call(socket, event, payload, timeoutMs) {
  return new Promise(function (resolve) {
    socket.timeout(timeoutMs || CALL_TIMEOUT_MS).emit(event, payload || {}, function (err, reply) {
      if (!err && reply && reply.error && reply.error.code === "display_name_required") {
        document.dispatchEvent(new CustomEvent(NAME_REQUIRED));  // the name form asks for it
      }
      resolve(err ? { ok: false, error: { code: "timeout", message: t("The server did not answer in time.") } } : reply);
    });
  });
}

/** Call ``refresh`` now if connected and after every reconnect (the connection is in its rooms by then). */
export function onConnect(socket, refresh) {
  socket.on("connect", refresh);
  if (socket.connected) refresh();
}
